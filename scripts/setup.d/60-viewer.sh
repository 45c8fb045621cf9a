# The supervisor viewer (ui/src/viewer, served by agentrec-ingest at /viewer/ and opened in the
# app's viewer window):
#  - chromium: Debian's Chromium, driven by playwright-core (ui/package.json, installed by
#    40-app.sh's npm ci) in scripts/test.d/60-viewer-e2e.sh; playwright's own browser
#    download does not work here and is never used
#  - gstreamer1.0-plugins-bad, gstreamer1.0-libav: AV1 decoders for WebKitGTK's media
#    pipeline (the app's viewer window on Linux): libaom's `av1dec` and FFmpeg's (dav1d-backed
#    on Debian); without one, WebKitGTK reports AV1 as unsupported and the monitors stay black
#  - gstreamer1.0-plugins-good: the fMP4 demuxer (isomp4) of those HLS segments
apt_packages+=(chromium gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-plugins-good)
