//! Shutdown detection: SIGINT or SIGTERM, whichever comes first.

/// Resolves on the first SIGINT or SIGTERM.
pub async fn signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}
