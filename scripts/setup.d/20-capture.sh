# Capture pipeline (capture/): build deps and the real servers its tests run against.
#  - nasm: rav1e's assembly (without it the same stream costs ~3x the CPU)
#  - cmake: builds the bundled libopus (opus crate)
#  - libasound2-dev, pkg-config: cpal still links ALSA next to its pure-Rust PulseAudio host
#  - xvfb, x11-xserver-utils (xrandr), x11-utils (xdpyinfo), xterm, x11-apps: a real X server
#    split into four RandR monitors, and content on it
#  - pulseaudio, pulseaudio-utils (pactl, paplay), espeak-ng, sox: a headless audio server,
#    speech and tones to play into it
#  - ffmpeg: ffprobe/ffmpeg validate every segment and export; libx264 is the benchmark's
#    reference
#  - time: GNU time for ad-hoc measurements
apt_packages+=(
  nasm cmake libasound2-dev pkg-config
  xvfb x11-xserver-utils x11-utils xterm x11-apps
  pulseaudio pulseaudio-utils espeak-ng sox
  ffmpeg time
)
