//! The whole life of a connection over real HTTP: consents and their grants, a grant removing
//! a connection (`DELETE /connections/{id}`), revocation (`POST /connect/revocation`), a user
//! disconnecting the app in Xero (`/sim/connections/disconnect`), and the tokens issued.
#![allow(clippy::unwrap_used)]

mod support;

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use support::{Harness, header, small_with_tenants};
use uuid::Uuid;

const REDIRECT: &str = "http://localhost:8080/callback";
const SCOPE: &str = "offline_access accounting.invoices.read";

/// A consent (authorize, then the code exchanged with the client secret): its token response.
async fn consent(h: &Harness) -> Value {
    let http = support::client(Client::builder().redirect(Policy::none()));
    let res = http
        .get(format!("{}/identity/connect/authorize", h.sim.origin()))
        .query(&[
            ("response_type", "code"),
            ("client_id", h.sim.client_id()),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPE),
        ])
        .send()
        .await
        .unwrap();
    let location = header(&res, "location").unwrap();
    let code = location.split("code=").nth(1).unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
    ];
    let (status, body) = token(h, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// `POST /connect/token` with Basic client authentication.
async fn token(h: &Harness, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = h
        .http
        .post(format!("{}/connect/token", h.sim.origin()))
        .basic_auth(h.sim.client_id(), Some(h.sim.client_secret()))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn refresh(h: &Harness, refresh_token: &str) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token(h, &form).await
}

fn text<'a>(body: &'a Value, key: &str) -> &'a str {
    body[key].as_str().unwrap()
}

/// `GET /connections` with `access`: status and body (`Null` unless 200).
async fn connections(h: &Harness, access: &str) -> (StatusCode, Value) {
    let res = h
        .http
        .get(format!("{}/connections", h.sim.origin()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = if status == StatusCode::OK {
        res.json().await.unwrap()
    } else {
        Value::Null
    };
    (status, body)
}

fn tenant_ids(list: &Value) -> Vec<Uuid> {
    let ids = list.as_array().unwrap().iter();
    ids.map(|c| c["tenantId"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// `DELETE /connections/{id}`, with `access` when given.
async fn delete(h: &Harness, access: Option<&str>, id: &str) -> (StatusCode, String) {
    let mut req = h
        .http
        .delete(format!("{}/connections/{id}", h.sim.origin()));
    if let Some(access) = access {
        req = req.bearer_auth(access);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// `GET Invoices` for `tenant` with `access`: status and problem body (`Null` unless 401/403).
async fn invoices(h: &Harness, access: &str, tenant: Uuid) -> (StatusCode, Value) {
    let res = h
        .http
        .get(h.api("Invoices"))
        .header("accept", "application/json")
        .header("xero-tenant-id", tenant.to_string())
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => res.json().await.unwrap(),
        _ => Value::Null,
    };
    (status, body)
}

async fn assert_forbidden(h: &Harness, access: &str, tenant: Uuid) {
    let (status, body) = invoices(h, access, tenant).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["Type"].is_null());
    assert_eq!(body["Title"], "Forbidden");
    assert_eq!(body["Status"], 403);
    assert_eq!(body["Detail"], "AuthenticationUnsuccessful");
}

/// `POST /connect/revocation` with a form: status and body text.
async fn revoke(h: &Harness, form: &[(&str, &str)], secret: Option<&str>) -> (StatusCode, String) {
    let mut req = h
        .http
        .post(format!("{}/connect/revocation", h.sim.origin()))
        .form(form);
    if let Some(secret) = secret {
        req = req.basic_auth(h.sim.client_id(), Some(secret));
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_consent_connects_every_tenant_under_one_auth_event_with_ids_of_its_own() {
    let h = Harness::start(small_with_tenants(2)).await;
    let first = consent(&h).await;
    let second = consent(&h).await;
    let (_, one) = connections(&h, text(&first, "access_token")).await;
    let (_, two) = connections(&h, text(&second, "access_token")).await;
    assert_eq!(tenant_ids(&one), h.sim.tenant_ids());
    assert_eq!(tenant_ids(&two), h.sim.tenant_ids());
    let event = |list: &Value, i: usize| list[i]["authEventId"].as_str().unwrap().to_owned();
    assert_eq!(event(&one, 0), event(&one, 1));
    assert_ne!(event(&one, 0), event(&two, 0));
    assert_ne!(one[0]["id"], two[0]["id"]);

    // A refreshed token is the same grant: the same connections.
    let (_, refreshed) = refresh(&h, text(&first, "refresh_token")).await;
    let (_, again) = connections(&h, text(&refreshed, "access_token")).await;
    assert_eq!(again, one);

    // `?authEventId=` keeps only that consent's connections.
    let by_event = |event: String| {
        h.http
            .get(format!("{}/connections", h.sim.origin()))
            .query(&[("authEventId", event)])
            .bearer_auth(text(&first, "access_token"))
            .send()
    };
    let res = by_event(event(&one, 0)).await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), one);
    let res = by_event(Uuid::nil().to_string()).await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!([]));
}

#[tokio::test]
async fn a_connection_deleted_by_its_grant_disappears_and_its_tenant_answers_403_while_the_other_answers_200()
 {
    let h = Harness::start(small_with_tenants(2)).await;
    let [gone, kept] = h.sim.tenant_ids()[..] else {
        panic!("two tenants")
    };
    let tokens = consent(&h).await;
    let access = text(&tokens, "access_token");
    let (_, list) = connections(&h, access).await;
    let id = list[0]["id"].as_str().unwrap();

    assert_eq!(
        delete(&h, Some(access), id).await,
        (StatusCode::NO_CONTENT, String::new())
    );
    let (_, list) = connections(&h, access).await;
    assert_eq!(tenant_ids(&list), vec![kept]);
    assert_forbidden(&h, access, gone).await;
    assert_eq!(invoices(&h, access, kept).await.0, StatusCode::OK);

    // Refreshing still works, and the refreshed token reaches only what the grant still has;
    // another grant (the harness's custom connection) still reaches both.
    let (status, refreshed) = refresh(&h, text(&tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    let access = text(&refreshed, "access_token");
    assert_forbidden(&h, access, gone).await;
    assert_eq!(invoices(&h, access, kept).await.0, StatusCode::OK);
    assert_eq!(invoices(&h, &h.token, gone).await.0, StatusCode::OK);

    // With no tenant left the grant lives on: it refreshes, and its token reaches nothing.
    let (_, list) = connections(&h, access).await;
    let last = list[0]["id"].as_str().unwrap();
    assert_eq!(
        delete(&h, Some(access), last).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(connections(&h, access).await, (StatusCode::OK, json!([])));
    let (status, _) = refresh(&h, text(&refreshed, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);

    let stats = h.stats().await;
    assert_eq!(stats["requests"]["connections"]["204"], 2);
}

#[tokio::test]
async fn deleting_an_unknown_or_already_deleted_connection_is_404_and_without_a_token_401() {
    let h = Harness::start(small_with_tenants(2)).await;
    let tokens = consent(&h).await;
    let access = text(&tokens, "access_token");
    let (_, list) = connections(&h, access).await;
    let id = list[0]["id"].as_str().unwrap();

    assert_eq!(delete(&h, None, id).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        delete(&h, Some("not-a-token"), id).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Another grant's connection is unknown to this one.
    let (_, custom) = connections(&h, &h.token).await;
    let other = custom[0]["id"].as_str().unwrap();
    assert_eq!(
        delete(&h, Some(access), other).await.0,
        StatusCode::NOT_FOUND
    );
    let unknown = Uuid::new_v4().to_string();
    assert_eq!(
        delete(&h, Some(access), &unknown).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&h, Some(access), "not-a-uuid").await.0,
        StatusCode::NOT_FOUND
    );

    assert_eq!(delete(&h, Some(access), id).await.0, StatusCode::NO_CONTENT);
    let (status, body) = delete(&h, Some(access), id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, "The resource you're looking for cannot be found");
    let (_, custom_after) = connections(&h, &h.token).await;
    assert_eq!(custom_after, custom);
}

#[tokio::test]
async fn a_revoked_refresh_token_is_refused_its_grant_gets_401_and_a_second_consent_is_unaffected()
{
    let h = Harness::start(small_with_tenants(2)).await;
    let first = consent(&h).await;
    let second = consent(&h).await;
    // The first grant's refresh token rotates once: its predecessor is within its grace period.
    let (_, rotated) = refresh(&h, text(&first, "refresh_token")).await;
    let rt = text(&rotated, "refresh_token");

    let form = [("token", rt)];
    let (status, body) = revoke(&h, &form, Some(h.sim.client_secret())).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));

    let invalid_grant = (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
    assert_eq!(refresh(&h, rt).await, invalid_grant);
    assert_eq!(
        refresh(&h, text(&first, "refresh_token")).await,
        invalid_grant
    );
    for access in [text(&first, "access_token"), text(&rotated, "access_token")] {
        let (status, body) = invoices(&h, access, h.tenant).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["Detail"], "AuthenticationUnsuccessful");
        assert_eq!(connections(&h, access).await.0, StatusCode::UNAUTHORIZED);
    }

    let access = text(&second, "access_token");
    let (status, list) = connections(&h, access).await;
    assert_eq!(
        (status, tenant_ids(&list)),
        (StatusCode::OK, h.sim.tenant_ids())
    );
    assert_eq!(invoices(&h, access, h.tenant).await.0, StatusCode::OK);
    assert_eq!(
        refresh(&h, text(&second, "refresh_token")).await.0,
        StatusCode::OK
    );

    // Only the second consent's and the custom connection's connections are left.
    let live = h.control(reqwest::Method::GET, "connections", None).await;
    assert_eq!(live.as_array().unwrap().len(), 4);
    let stats = h.stats().await;
    assert_eq!(stats["requests"]["revocation"]["200"], 1);
}

#[tokio::test]
async fn revocation_with_a_bad_client_secret_is_401_invalid_client_and_an_unknown_token_is_200() {
    let h = Harness::start(small_with_tenants(2)).await;
    let tokens = consent(&h).await;
    let rt = text(&tokens, "refresh_token");
    let invalid_client = (
        StatusCode::UNAUTHORIZED,
        json!({"error": "invalid_client"}).to_string(),
    );

    assert_eq!(
        revoke(&h, &[("token", rt)], Some("wrong")).await,
        invalid_client
    );
    let form = [
        ("token", rt),
        ("client_id", h.sim.client_id()),
        ("client_secret", "wrong"),
    ];
    assert_eq!(revoke(&h, &form, None).await, invalid_client);
    // A confidential client's token is not revoked without its secret.
    let form = [("token", rt), ("client_id", h.sim.client_id())];
    assert_eq!(revoke(&h, &form, None).await, invalid_client);
    let (status, _) = connections(&h, text(&tokens, "access_token")).await;
    assert_eq!(status, StatusCode::OK);

    let unknown = [("token", "never-issued")];
    let secret = Some(h.sim.client_secret());
    assert_eq!(
        revoke(&h, &unknown, secret).await,
        (StatusCode::OK, String::new())
    );

    // The client's credentials in the form do as well as Basic.
    let form = [
        ("token", rt),
        ("client_id", h.sim.client_id()),
        ("client_secret", h.sim.client_secret()),
    ];
    assert_eq!(revoke(&h, &form, None).await.0, StatusCode::OK);
    assert_eq!(refresh(&h, rt).await.0, StatusCode::BAD_REQUEST);
    let stats = h.stats().await;
    assert_eq!(stats["requests"]["revocation"]["401"], 3);
}

#[tokio::test]
async fn a_tenant_disconnected_through_the_control_api_is_gone_from_every_grant_and_answers_403() {
    let h = Harness::start(small_with_tenants(2)).await;
    let [gone, kept] = h.sim.tenant_ids()[..] else {
        panic!("two tenants")
    };
    let tokens = consent(&h).await;
    let access = text(&tokens, "access_token");

    let res = h
        .post("connections/disconnect", json!({ "tenant_id": gone }))
        .await;
    assert_eq!(res, json!({ "disconnected": 2 }));
    let live = h.control(reqwest::Method::GET, "connections", None).await;
    let live = live.as_array().unwrap();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|c| c["tenant_id"] == kept.to_string()));
    let grants: Vec<&str> = live.iter().map(|c| c["grant"].as_str().unwrap()).collect();
    assert_eq!(grants, ["client_credentials", "authorization_code"]);

    for access in [access, h.token.as_str()] {
        let (_, list) = connections(&h, access).await;
        assert_eq!(tenant_ids(&list), vec![kept]);
        assert_forbidden(&h, access, gone).await;
        assert_eq!(invoices(&h, access, kept).await.0, StatusCode::OK);
    }
    // The custom connection is one grant: a new client-credentials token does not reconnect,
    // and its tenant-less calls (the first tenant's) are refused.
    let fresh = support::client_credentials(&h.sim, &h.http).await;
    assert_forbidden(&h, &fresh, gone).await;
    let res = h
        .http
        .get(h.api("Invoices"))
        .header("accept", "application/json")
        .bearer_auth(&fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Re-authorising connects it again, for the new grant only.
    let again = consent(&h).await;
    let access = text(&again, "access_token");
    assert_eq!(invoices(&h, access, gone).await.0, StatusCode::OK);

    let res = h
        .http
        .post(format!("{}/sim/connections/disconnect", h.sim.origin()))
        .json(&json!({ "tenant_id": Uuid::new_v4() }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("unknown tenant")
    );
}

#[tokio::test]
async fn the_issued_tokens_list_every_token_the_token_endpoint_handed_out() {
    let h = Harness::start(small_with_tenants(1)).await;
    let tokens = consent(&h).await;
    let (_, refreshed) = refresh(&h, text(&tokens, "refresh_token")).await;

    let issued = h.control(reqwest::Method::GET, "tokens/issued", None).await;
    let list = |key: &str| -> Vec<String> {
        let items = issued[key].as_array().unwrap().iter();
        items.map(|t| t.as_str().unwrap().to_owned()).collect()
    };
    let access = [
        h.token.as_str(),
        text(&tokens, "access_token"),
        text(&refreshed, "access_token"),
    ];
    assert_eq!(list("access_tokens"), access);
    let refresh = [
        text(&tokens, "refresh_token"),
        text(&refreshed, "refresh_token"),
    ];
    assert_eq!(list("refresh_tokens"), refresh);
}
