//! Shared helpers of the simulator's integration tests: start a simulator, get a token, call
//! the Accounting API and the control API over real HTTP.
#![allow(clippy::unwrap_used, dead_code)]

pub mod coverage;
pub mod skip;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use xero_sync_sim::{SimConfig, Simulator};

/// A small organisation: fast to generate in a debug build, big enough to page.
pub fn small() -> SimConfig {
    SimConfig {
        accounts: 40,
        contacts: 150,
        invoices: 350,
        journals: 900,
        ..SimConfig::default()
    }
}

/// A running simulator, an HTTP client and a client_credentials token.
pub struct Harness {
    pub sim: Simulator,
    pub http: Client,
    pub token: String,
    pub tenant: Uuid,
}

impl Harness {
    pub async fn start(config: SimConfig) -> Harness {
        let sim = Simulator::start(config).await.unwrap();
        let http = client(Client::builder());
        let token = client_credentials(&sim, &http).await;
        let tenant = sim.tenant_ids()[0];
        Harness {
            sim,
            http,
            token,
            tenant,
        }
    }

    pub fn api(&self, endpoint: &str) -> String {
        format!("{}/api.xro/2.0/{endpoint}", self.sim.origin())
    }

    /// `GET /connections` with the harness's bearer token.
    pub async fn connections(&self) -> Response {
        self.http
            .get(format!("{}/connections", self.sim.origin()))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    /// `GET /api.xro/2.0/{endpoint}` as a well-behaved client (Accept, bearer, tenant header).
    pub async fn get(&self, endpoint: &str, query: &[(&str, &str)], ims: Option<&str>) -> Response {
        self.get_for(self.tenant, endpoint, query, ims).await
    }

    pub async fn get_for(
        &self,
        tenant: Uuid,
        endpoint: &str,
        query: &[(&str, &str)],
        ims: Option<&str>,
    ) -> Response {
        let mut req = self
            .http
            .get(self.api(endpoint))
            .query(query)
            .header("accept", "application/json")
            .header("xero-tenant-id", tenant.to_string())
            .bearer_auth(&self.token);
        if let Some(ims) = ims {
            req = req.header("if-modified-since", ims);
        }
        req.send().await.unwrap()
    }

    /// The JSON body of a successful GET.
    pub async fn get_json(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
        ims: Option<&str>,
    ) -> Value {
        let res = self.get(endpoint, query, ims).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {endpoint} {query:?}");
        res.json().await.unwrap()
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}/sim/{path}", self.sim.origin()));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        assert!(res.status().is_success(), "/sim/{path}: {}", res.status());
        res.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn stats(&self) -> Value {
        self.control(reqwest::Method::GET, "stats", None).await
    }

    pub async fn digest(&self, entity: &str) -> Value {
        let path = format!("digest?tenant_id={}&entity={entity}", self.tenant);
        self.control(reqwest::Method::GET, &path, None).await
    }

    pub async fn advance(&self, secs: i64) {
        self.post("clock", json!({ "advance_secs": secs })).await;
    }

    /// Every record of a paged endpoint, following pages of 1000 (optionally since `ims`).
    pub async fn all_pages(
        &self,
        endpoint: &str,
        extra: &[(&str, &str)],
        ims: Option<&str>,
    ) -> Vec<Value> {
        let mut out = Vec::new();
        for page in 1.. {
            let page = page.to_string();
            let mut query = vec![("page", page.as_str()), ("pageSize", "1000")];
            query.extend_from_slice(extra);
            let body = self.get_json(endpoint, &query, ims).await;
            let items = body[endpoint].as_array().unwrap().clone();
            if items.is_empty() {
                break;
            }
            out.extend(items);
        }
        out
    }
}

/// Builds a reqwest client. reqwest is compiled with `rustls-no-provider`, so even a client
/// that only speaks plain HTTP needs a crypto provider installed first.
pub fn client(builder: reqwest::ClientBuilder) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    builder.build().unwrap()
}

/// A client_credentials token (custom connection).
pub async fn client_credentials(sim: &Simulator, http: &Client) -> String {
    let res = http
        .post(format!("{}/connect/token", sim.origin()))
        .basic_auth(sim.client_id(), Some(sim.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Every journal the organisation has, through every offset.
pub async fn all_journals(h: &Harness) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut offset = 0;
    loop {
        let body = h
            .get_json("Journals", &[("offset", &offset.to_string())], None)
            .await;
        let page = body["Journals"].as_array().unwrap().clone();
        let Some(last) = page.last() else { break };
        offset = last["JournalNumber"].as_u64().unwrap();
        out.extend(page);
    }
    out
}

/// Epoch ms of a `/Date(ms+0000)/` or `/Date(ms)/` value.
pub fn ms(value: &Value) -> i64 {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"));
    let inner = s
        .strip_prefix("/Date(")
        .and_then(|r| r.strip_suffix(")/"))
        .unwrap();
    let digits = inner.split('+').next().unwrap();
    digits.parse().unwrap()
}

/// Cents of a money value.
pub fn cents(value: &Value) -> i64 {
    (value.as_f64().unwrap() * 100.0).round() as i64
}

/// A header as a string.
pub fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

/// [`small`] with several tenants.
pub fn small_with_tenants(tenants: usize) -> SimConfig {
    SimConfig { tenants, ..small() }
}
