# Toolchain pieces every crate needs to build.
apt_packages+=(build-essential pkg-config ca-certificates git curl)
