// The supervisor viewer window (also the server's /viewer/ page: same build).
import { render } from "preact";
import { App } from "../../viewer/app";

const root = document.getElementById("root");
if (root) render(<App />, root);
