//! What leaves the simulator for a client: the body gzip-compressed when the client accepts it
//! (Xero meters egress, so clients should ask), and the bytes sent metered per tenant, as
//! Xero's egress reports would.

use std::io::Write as _;

use axum::body::Body;
use axum::http::{HeaderValue, Response, header};
use uuid::Uuid;

use crate::state::App;

/// Compresses the body when the client accepts gzip (Xero meters egress, so clients should
/// ask), and meters the bytes sent for the tenant, as Xero's egress reports would.
pub async fn encode(
    app: &App,
    response: Response<Body>,
    tenant: Option<Uuid>,
    gzip: bool,
) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let Ok(decoded) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let wire = if gzip && !decoded.is_empty() {
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(decoded.len() / 4),
            flate2::Compression::fast(),
        );
        match encoder.write_all(&decoded).and_then(|()| encoder.finish()) {
            Ok(compressed) => {
                parts
                    .headers
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                axum::body::Bytes::from(compressed)
            }
            Err(_) => decoded.clone(),
        }
    } else {
        decoded.clone()
    };
    if let Some(tenant) = tenant {
        app.stats
            .egress(tenant, wire.len() as u64, decoded.len() as u64);
    }
    Response::from_parts(parts, Body::from(wire))
}
