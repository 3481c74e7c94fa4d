//! The simulator's identity side over real HTTP: authorize + PKCE, token grants, refresh
//! rotation and grace, client authentication, 401/403 bodies and /connections.
#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{Harness, header, small};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk.verifier-of-43-chars";
const REDIRECT: &str = "http://localhost:8080/callback";

fn no_redirects() -> Client {
    support::client(Client::builder().redirect(Policy::none()))
}

/// Runs the authorize redirect and returns the code (checking `state` comes back).
async fn authorize(h: &Harness, scope: &str, challenge: Option<&str>) -> String {
    let mut query = vec![
        ("response_type", "code".to_owned()),
        ("client_id", h.sim.client_id().to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("scope", scope.to_owned()),
        ("state", "st ate/1".to_owned()),
    ];
    if let Some(c) = challenge {
        query.push(("code_challenge", c.to_owned()));
        query.push(("code_challenge_method", "S256".to_owned()));
    }
    let res = no_redirects()
        .get(format!("{}/identity/connect/authorize", h.sim.origin()))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = header(&res, "location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=st%20ate%2F1"), "{location}");
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    code.to_owned()
}

fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn token(h: &Harness, form: &[(&str, &str)], basic: bool) -> (StatusCode, Value) {
    let mut req = h
        .http
        .post(format!("{}/connect/token", h.sim.origin()))
        .form(form);
    if basic {
        req = req.basic_auth(h.sim.client_id(), Some(h.sim.client_secret()));
    }
    let res = req.send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn refresh(h: &Harness, refresh_token: &str) -> (StatusCode, Value) {
    token(
        h,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
        true,
    )
    .await
}

/// A user token (authorization_code, secret-authenticated) with a refresh token.
async fn user_tokens(h: &Harness) -> Value {
    let code = authorize(h, "openid offline_access accounting.invoices.read", None).await;
    let (status, body) = token(
        h,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn authorization_code_with_pkce_checks_the_verifier() {
    let h = Harness::start(small()).await;
    let challenge = challenge_of(VERIFIER);

    let code = authorize(&h, "offline_access accounting.invoices", Some(&challenge)).await;
    let wrong = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        (
            "code_verifier",
            "not-the-verifier-at-all-but-long-enough-43ch",
        ),
        ("client_id", h.sim.client_id()),
    ];
    let (status, body) = token(&h, &wrong, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"error": "invalid_grant"}));

    // The code was used up by the failed attempt; a new one with the right verifier works
    // without a client secret (a PKCE app has none).
    let code = authorize(&h, "offline_access accounting.invoices", Some(&challenge)).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("client_id", h.sim.client_id()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, body) = token(&h, &form, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["scope"], "offline_access accounting.invoices");
    assert!(body["refresh_token"].is_string());
    assert!(body.get("id_token").is_none(), "no openid, no id_token");

    let (status, body) = token(&h, &form, false).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"})),
        "codes are single-use"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_the_old_one_works_only_within_the_grace_period() {
    let h = Harness::start(small()).await;
    let first = user_tokens(&h).await;
    assert!(
        first["id_token"].as_str().unwrap().split('.').count() == 3,
        "openid gives an id_token"
    );
    let a = first["refresh_token"].as_str().unwrap().to_owned();

    let (status, second) = refresh(&h, &a).await;
    assert_eq!(status, StatusCode::OK);
    let b = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(a, b, "refresh tokens rotate");
    assert_ne!(first["access_token"], second["access_token"]);

    h.advance(29 * 60).await;
    let (status, replay) = refresh(&h, &a).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "A is still usable 29 minutes after rotation"
    );
    assert!(replay["refresh_token"].is_string());

    h.advance(2 * 60).await;
    let (status, body) = refresh(&h, &a).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}))
    );
    let (status, _) = refresh(&h, &b).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "B was never used, so it still works"
    );

    let stats = h.stats().await;
    assert_eq!(stats["token_grants"]["authorization_code"], 1);
    assert_eq!(stats["token_grants"]["refresh_token"], 3);
    assert_eq!(stats["invalid_grant"], 1);
}

#[tokio::test]
async fn revoked_refresh_tokens_answer_invalid_grant() {
    let h = Harness::start(small()).await;
    let tokens = user_tokens(&h).await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    let revoked = h
        .post("tokens/revoke", json!({ "refresh_token": rt }))
        .await;
    assert_eq!(revoked["revoked"], 1);
    let (status, body) = refresh(&h, rt).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}))
    );
}

#[tokio::test]
async fn client_credentials_work_with_basic_or_form_auth_and_carry_no_refresh_token() {
    let h = Harness::start(small()).await;
    let (status, basic) = token(&h, &[("grant_type", "client_credentials")], true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(basic.get("refresh_token").is_none());
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", h.sim.client_id()),
        ("client_secret", h.sim.client_secret()),
    ];
    let (status, body) = token(&h, &form, false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["access_token"].is_string());

    // A custom connection needs no xero-tenant-id: the first tenant answers.
    let res = h
        .http
        .get(h.api("Accounts"))
        .header("accept", "application/json")
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let h = Harness::start(small()).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", h.sim.client_id()),
        ("client_secret", "wrong"),
    ];
    let (status, body) = token(&h, &form, false).await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}))
    );
    let res = h
        .http
        .post(format!("{}/connect/token", h.sim.origin()))
        .basic_auth(h.sim.client_id(), Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_invalid_and_expired_bearer_tokens_get_xero_401_bodies() {
    let h = Harness::start(small()).await;
    let call = |token: Option<&str>| {
        let mut req = h
            .http
            .get(h.api("Invoices"))
            .header("accept", "application/json")
            .header("xero-tenant-id", h.tenant.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    for token in [None, Some("not-a-token")] {
        let res = call(token).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Title"], "Unauthorized");
        assert_eq!(body["Status"], 401);
        assert_eq!(body["Detail"], "AuthenticationUnsuccessful");
        assert!(body["Type"].is_null());
        assert!(uuid::Uuid::parse_str(body["Instance"].as_str().unwrap()).is_ok());
    }
    h.advance(1801).await;
    let res = call(Some(&h.token)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    let detail = body["Detail"].as_str().unwrap();
    assert!(
        detail.starts_with("TokenExpired: token expired at "),
        "{detail}"
    );
}

#[tokio::test]
async fn a_tenant_outside_the_connections_is_forbidden() {
    let h = Harness::start(small()).await;
    let res = h.get_for(uuid::Uuid::new_v4(), "Invoices", &[], None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Title"], "Forbidden");
    assert_eq!(body["Detail"], "AuthenticationUnsuccessful");

    // A user token must name its tenant.
    let user = user_tokens(&h).await;
    let res = h
        .http
        .get(h.api("Invoices"))
        .header("accept", "application/json")
        .bearer_auth(user["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn connections_list_every_tenant_with_only_the_app_limit_header() {
    let h = Harness::start(support::small_with_tenants(3)).await;
    let res = h.connections().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, "x-appminlimit-remaining").is_some());
    assert!(header(&res, "x-minlimit-remaining").is_none());
    assert!(header(&res, "x-daylimit-remaining").is_none());
    let list: Vec<Value> = res.json().await.unwrap();
    let ids: Vec<String> = list
        .iter()
        .map(|c| c["tenantId"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = h.sim.tenant_ids().iter().map(|t| t.to_string()).collect();
    assert_eq!(ids, expected);
    for c in &list {
        assert_eq!(c["tenantType"], "ORGANISATION");
        for key in [
            "id",
            "authEventId",
            "tenantName",
            "createdDateUtc",
            "updatedDateUtc",
        ] {
            assert!(c[key].is_string(), "{key} in {c}");
        }
    }
    let res = h
        .http
        .get(format!("{}/connections", h.sim.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// The redirect location of an authorize request for `scope`.
async fn authorize_location(h: &Harness, scope: &str) -> String {
    let res = no_redirects()
        .get(format!("{}/identity/connect/authorize", h.sim.origin()))
        .query(&[
            ("response_type", "code"),
            ("client_id", h.sim.client_id()),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    header(&res, "location").unwrap().to_owned()
}

#[tokio::test]
async fn an_app_created_in_2026_may_not_request_broad_scopes_but_an_older_one_may() {
    let new_app = Harness::start(small()).await;
    let refused = authorize_location(&new_app, "offline_access accounting.transactions.read").await;
    assert_eq!(refused, format!("{REDIRECT}?error=invalid_scope"));
    let granular = authorize_location(&new_app, "offline_access accounting.invoices.read").await;
    assert!(granular.contains("code="), "{granular}");
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "accounting.transactions.read"),
    ];
    let (status, body) = token(&new_app, &form, true).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_scope"}))
    );

    let old_app = Harness::start(xero_sync_sim::SimConfig {
        legacy_app: true,
        ..small()
    })
    .await;
    let broad = authorize_location(&old_app, "offline_access accounting.transactions.read").await;
    assert!(broad.contains("code="), "{broad}");
}

#[tokio::test]
async fn each_endpoint_needs_its_scope_and_a_refused_entitlement_answers_403() {
    let h = Harness::start(small()).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "accounting.contacts.read"),
    ];
    let (status, body) = token(&h, &form, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let narrow = body["access_token"].as_str().unwrap();
    let call = |endpoint: &str, token: &str| {
        h.http
            .get(h.api(endpoint))
            .header("accept", "application/json")
            .header("xero-tenant-id", h.tenant.to_string())
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(
        call("Contacts", narrow).await.unwrap().status(),
        StatusCode::OK
    );
    let refused = call("Invoices", narrow).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["Detail"], "AuthorizationUnsuccessful");

    h.post(
        "entitlements",
        json!({"endpoint": "Journals", "entitled": false}),
    )
    .await;
    let forbidden = call("Journals", &h.token).await.unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        call("Invoices", &h.token).await.unwrap().status(),
        StatusCode::OK
    );
    h.post(
        "entitlements",
        json!({"endpoint": "Journals", "entitled": true}),
    )
    .await;
    assert_eq!(
        call("Journals", &h.token).await.unwrap().status(),
        StatusCode::OK
    );
}
