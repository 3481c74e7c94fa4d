//! Wiring: the router, [`Simulator`] (start on a port, stop on shutdown or drop) and
//! [`run_cli`] for `xero-sync simulate`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Router;
use axum::routing::{delete, get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::args::{SimArgs, SimConfig};
use crate::clock::SimClock;
use crate::faults::Faults;
use crate::generate;
use crate::identity::Identity;
use crate::identity::wire::TokenForm;
use crate::limits::Limiter;
use crate::state::App;
use crate::stats::Stats;
use crate::webhooks::delivery;
use crate::webhooks::hub::{Status, Webhooks};
use crate::{api, control, control_drift, control_identity, control_webhooks, identity_routes};

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/api.xro/2.0/{endpoint}", get(api::get))
        .route("/api.xro/2.0/{folder}/{endpoint}", get(api::get_in_folder))
        .route(
            "/identity/connect/authorize",
            get(identity_routes::authorize),
        )
        .route("/connect/token", post(identity_routes::token))
        .route("/connect/revocation", post(identity_routes::revocation))
        .route("/connections", get(identity_routes::connections))
        .route(
            "/connections/{id}",
            delete(identity_routes::delete_connection),
        )
        .route("/sim/mutate", post(control::mutate))
        .route("/sim/digest", get(control::digest))
        .route("/sim/stats", get(control::stats))
        .route("/sim/stats/reset", post(control::reset_stats))
        .route(
            "/sim/faults",
            post(control::add_faults)
                .get(control::list_faults)
                .delete(control::clear_faults),
        )
        .route("/sim/clock", post(control::clock).get(control::read_clock))
        .route("/sim/tokens/revoke", post(control::revoke))
        .route("/sim/tokens/issued", get(control_identity::issued))
        .route("/sim/connections", get(control_identity::connections))
        .route(
            "/sim/connections/disconnect",
            post(control_identity::disconnect),
        )
        .route("/sim/entitlements", post(control::entitlements))
        .route("/sim/drift", post(control_drift::drift))
        .route("/sim/info", get(control::info))
        .route(
            "/sim/webhooks",
            post(control_webhooks::subscribe)
                .get(control_webhooks::read)
                .delete(control_webhooks::unsubscribe),
        )
        .route("/sim/webhooks/intent", post(control_webhooks::send_intent))
        .route(
            "/sim/webhooks/bad-signature",
            post(control_webhooks::bad_signature),
        )
        .with_state(app)
}

/// Builds the shared state, generating the data set (on a blocking thread: large sets take a
/// moment and must not stall the runtime).
async fn build_app(config: SimConfig) -> anyhow::Result<Arc<App>> {
    if let Some(settings) = &config.webhooks {
        settings.check().map_err(anyhow::Error::msg)?;
    }
    let webhooks = Webhooks::new(config.seed).context("building the webhook client")?;
    let gen_config = config.clone();
    let tenants = tokio::task::spawn_blocking(move || generate::tenants(&gen_config))
        .await
        .context("generating the simulated organisations")?;
    let fault_rng = generate::tenant_rng(config.seed, usize::MAX, 0xFA17);
    let connectable = tenants.iter().map(|t| (t.id, t.connected_ms)).collect();
    let identity = Identity::new(
        config.seed,
        config.token_lifetime_secs,
        config.legacy_app,
        connectable,
    );
    Ok(Arc::new(App {
        identity,
        limiter: Limiter::new(config.rate_limits, config.limits),
        faults: Faults::new(config.fault_rate),
        stats: Stats::default(),
        clock: SimClock::default(),
        fault_rng: Mutex::new(fault_rng),
        entitlements: Default::default(),
        webhooks,
        tenants,
        config,
    }))
}

/// A running simulator. Stops on [`Simulator::shutdown`] or when dropped.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Starts on a random loopback port.
    pub async fn start(config: SimConfig) -> anyhow::Result<Simulator> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr` (port 0 picks a free one).
    pub async fn start_on(config: SimConfig, addr: SocketAddr) -> anyhow::Result<Simulator> {
        let app = build_app(config).await?;
        // A subscription from the command line delivers at once, without an intent to
        // receive: in a compose set-up the receiver may start after the simulator.
        if let Some(settings) = app.config.webhooks.clone() {
            app.webhooks.subscribe(settings.clone(), Status::Active);
            delivery::start(&app, settings);
        }
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the simulator to {addr}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let (stop, stopped) = oneshot::channel::<()>();
        let service = router(app.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, service).with_graceful_shutdown(async {
                // Either an explicit stop or the Simulator being dropped ends the server.
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "sim: server stopped with an error");
            }
        });
        Ok(Simulator {
            addr,
            app,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: the Accounting API is at `{origin}/api.xro/2.0`, connections
    /// at `{origin}/connections`, the token endpoint at `{origin}/connect/token`, revocation at
    /// `{origin}/connect/revocation`, authorize at `{origin}/identity/connect/authorize`, the
    /// control API at `{origin}/sim/…`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What it was started with: its data set, limits and webhooks.
    pub fn config(&self) -> &SimConfig {
        &self.app.config
    }

    /// The OAuth app's client id.
    pub fn client_id(&self) -> &str {
        &self.app.identity.client_id
    }

    /// The OAuth app's client secret.
    pub fn client_secret(&self) -> &str {
        &self.app.identity.client_secret
    }

    /// An access token of a custom connection (a client-credentials grant with read access to
    /// everything), issued and counted exactly as `POST /connect/token` issues one: for tests
    /// and benchmarks that call the Accounting API and are not about OAuth.
    pub fn custom_connection_token(&self) -> anyhow::Result<String> {
        let app = &self.app;
        let basic = (self.client_id().to_owned(), self.client_secret().to_owned());
        let form = TokenForm::client_credentials();
        let (grant, body) = app
            .identity
            .token(Some(basic), form, app.clock.now_ms())
            .map_err(|e| {
                anyhow::anyhow!("the simulator refused a client-credentials grant: {e:?}")
            })?;
        app.stats.token_granted(grant);
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("the token response has no access_token")
    }

    /// The simulated tenants, in connection order.
    pub fn tenant_ids(&self) -> Vec<Uuid> {
        self.app.tenants.iter().map(|t| t.id).collect()
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        delivery::stop(&self.app);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        // The delivery task holds the state; stopping it lets the state go.
        delivery::stop(&self.app);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Without a graceful stop (dropped mid-test), don't leave the server behind.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// `xero-sync simulate`: serves until Ctrl-C or SIGTERM, after printing where and how to
/// connect.
/// `ready` runs once the simulator listens (the command prints a worker's settings there).
pub async fn run_cli(
    args: SimArgs,
    ready: impl FnOnce(&Simulator) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let addr = args.addr;
    let started = std::time::Instant::now();
    let sim = Simulator::start_on(SimConfig::from(args), addr).await?;
    let origin = sim.origin();
    println!("Xero simulator ready in {:.1?}", started.elapsed());
    println!(
        "  API host:           {origin}  (XERO_API_URL; the Accounting API under {origin}/api.xro/2.0)"
    );
    println!(
        "  Identity base URL:  {origin}  (token: {origin}/connect/token, authorize: {origin}/identity/connect/authorize, revocation: {origin}/connect/revocation)"
    );
    println!("  Connections:        {origin}/connections  (DELETE {origin}/connections/{{id}})");
    println!(
        "  Control API:        {origin}/sim/  (mutate, digest, stats, faults, clock, entitlements, tokens/revoke, tokens/issued, connections, connections/disconnect, info, webhooks, webhooks/intent, webhooks/bad-signature, drift)"
    );
    println!("  Client id:          {}", sim.client_id());
    println!("  Client secret:      {}", sim.client_secret());
    for id in sim.tenant_ids() {
        println!("  Tenant id:          {id}");
    }
    if let Some(webhooks) = &sim.app.config.webhooks {
        println!("  Webhooks to:        {}", webhooks.url);
    }
    ready(&sim)?;
    shutdown_signal().await;
    println!("Stopping the simulator");
    sim.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "sim: cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
