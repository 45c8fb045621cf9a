//! Linux backends: screens from X11 ([`x11`]), audio from PulseAudio/PipeWire through cpal's
//! pure-Rust PulseAudio host.

pub mod x11;

pub use x11::X11Screen;

use crate::audio::cpal_input::{CpalInput, DeviceChoice};
use crate::error::SourceError;
use crate::source::AudioSide;

/// The audio source for one side. Microphone: the named or default PulseAudio source.
/// System: the named source, or the monitor of the default sink (what the agent hears).
pub fn audio_source(side: AudioSide, device: Option<String>) -> Result<CpalInput, SourceError> {
    if std::env::var_os("PULSE_SERVER").is_none()
        && std::env::var_os("PULSE_RUNTIME_PATH").is_none()
        && std::env::var_os("XDG_RUNTIME_DIR").is_none()
    {
        // cpal would silently fall back to ALSA, whose pulse plugin loses samples.
        return Err(SourceError::Unsupported(
            "no PulseAudio server: set XDG_RUNTIME_DIR or PULSE_SERVER".into(),
        ));
    }
    let choice = match (side, device) {
        (_, Some(name)) => DeviceChoice::Named(name),
        (AudioSide::Microphone, None) => DeviceChoice::DefaultInput,
        (AudioSide::System, None) => DeviceChoice::MonitorOfDefaultOutput,
    };
    Ok(CpalInput::new(side, cpal::HostId::PulseAudio, choice))
}

/// Nice 10 for the calling thread (Linux priorities are per thread).
pub fn lower_thread_priority() {
    // SAFETY: setpriority on our own thread id; no memory is involved.
    #[allow(unsafe_code)]
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// glibc keeps freed memory in per-thread arenas; give it back.
#[cfg(target_env = "gnu")]
pub fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Blocks of 1 MiB and more come from mmap and go back to the OS when freed (a fixed
/// threshold also stops glibc from raising it dynamically to 32 MiB).
#[cfg(target_env = "gnu")]
pub fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
