//! Shutdown detection (SIGINT or SIGTERM, whichever comes first), and the periodic loop that
//! stops on it.

/// Resolves on the first SIGINT or SIGTERM.
pub async fn signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// Runs `step` every `period` (the first at once) until `shutdown` resolves; a step is never cut
/// short by it, and a step that overruns delays the next rather than bunching them up.
pub async fn every<F, Fut>(
    period: std::time::Duration,
    shutdown: impl Future<Output = ()>,
    mut step: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = tick.tick() => {}
        }
        step().await;
    }
}
