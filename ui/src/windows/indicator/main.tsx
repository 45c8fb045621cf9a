// The always-visible recording indicator: a small, click-through, always-on-top strip.
import { render } from "preact";
import { useStatus, useTicker } from "../../lib/useStatus";
import { formatElapsed, recordedNow } from "../../lib/view";

function Indicator() {
  const { received } = useStatus();
  const status = received?.view.recorder.status.status;
  const now = useTicker(status === "recording", 1000);
  if (!received) return null;
  const paused = status === "paused";
  return (
    <div id="indicator" class={paused ? "ind paused" : "ind recording"} data-state={status}>
      <span class="dot" aria-hidden="true" />
      <span>{paused ? "Recording paused" : "Recording"}</span>
      <span class="time">{formatElapsed(recordedNow(received.view, received.atMs, now))}</span>
    </div>
  );
}

const root = document.getElementById("root");
if (root) render(<Indicator />, root);
