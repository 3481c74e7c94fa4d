//! Grants and their connections: what one consent (or the app's custom connection) authorised.
//!
//! A grant is the root of a token family: the access and refresh tokens of one consent, and
//! every token refreshed from them, belong to it. It holds one connection per tenant it
//! reaches. Removing a connection (`DELETE /connections/{id}`, or a user disconnecting the app
//! in Xero) leaves the grant and its tokens alive, reaching one tenant fewer; revoking the
//! grant (`/connect/revocation`) removes every connection and kills its tokens.
//!
//! Choices where Xero's behaviour is not documented: every consent is a new grant connecting
//! every simulated tenant (the simulator has no organisation picker), with its own connection
//! ids; every client-credentials token belongs to the one custom-connection grant, created with
//! the first such token, so a tenant removed from it stays removed for later tokens.

use uuid::Uuid;

/// How an access token was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// A user consented (authorization code, or refreshed from one).
    User,
    /// A custom connection (client_credentials): no tenant header needed.
    Custom,
}

impl GrantKind {
    /// The grant type as the control API names it.
    pub fn grant_type(self) -> &'static str {
        match self {
            GrantKind::User => "authorization_code",
            GrantKind::Custom => "client_credentials",
        }
    }
}

/// Which grant a token belongs to (its position among the grants; grants are never dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantId(usize);

/// One tenant a grant reaches, as `/connections` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The connection id: stable per (grant, tenant).
    pub id: Uuid,
    /// Shared by the connections authorised in one consent.
    pub auth_event_id: Uuid,
    /// The organisation.
    pub tenant_id: Uuid,
    /// The grant behind it.
    pub kind: GrantKind,
    /// When the tenant was first connected to the app (`createdDateUtc`).
    pub created_ms: i64,
    /// When it was last (re)connected: the consent (`updatedDateUtc`).
    pub updated_ms: i64,
}

/// A grant: its live connections, and whether it was revoked.
#[derive(Debug)]
struct Grant {
    connections: Vec<Connection>,
    revoked: bool,
}

/// A tenant a consent connects: its id and when it was first connected to the app.
pub type Connectable = (Uuid, i64);

/// Every grant issued.
#[derive(Debug, Default)]
pub struct Grants {
    grants: Vec<Grant>,
    custom: Option<GrantId>,
}

impl Grants {
    /// A new grant connecting every tenant of `tenants`, authorised at `now_ms` in the auth
    /// event `auth_event_id`.
    pub fn consent(
        &mut self,
        kind: GrantKind,
        auth_event_id: Uuid,
        tenants: &[Connectable],
        now_ms: i64,
    ) -> GrantId {
        let connections = tenants
            .iter()
            .map(|&(tenant_id, created_ms)| Connection {
                id: Uuid::new_v5(&auth_event_id, tenant_id.as_bytes()),
                auth_event_id,
                tenant_id,
                kind,
                created_ms,
                updated_ms: now_ms.max(created_ms),
            })
            .collect();
        self.grants.push(Grant {
            connections,
            revoked: false,
        });
        GrantId(self.grants.len() - 1)
    }

    /// The custom connection's grant, created on first use by `create`.
    pub fn custom(&mut self, create: impl FnOnce(&mut Grants) -> GrantId) -> GrantId {
        if let Some(id) = self.custom {
            return id;
        }
        let id = create(self);
        self.custom = Some(id);
        id
    }

    /// Whether the grant was revoked: its tokens no longer work.
    pub fn revoked(&self, id: GrantId) -> bool {
        self.grants.get(id.0).is_none_or(|g| g.revoked)
    }

    /// The grant's live connections, in connection order.
    pub fn connections(&self, id: GrantId) -> &[Connection] {
        self.grants
            .get(id.0)
            .map(|g| g.connections.as_slice())
            .unwrap_or_default()
    }

    /// Every live connection of every grant, grant by grant.
    pub fn all(&self) -> impl Iterator<Item = &Connection> {
        self.grants.iter().flat_map(|g| g.connections.iter())
    }

    /// Removes the grant's connection `connection`; false when it has none by that id.
    pub fn remove(&mut self, id: GrantId, connection: Uuid) -> bool {
        let Some(grant) = self.grants.get_mut(id.0) else {
            return false;
        };
        let before = grant.connections.len();
        grant.connections.retain(|c| c.id != connection);
        grant.connections.len() < before
    }

    /// Removes the tenant's connection from every grant; how many were removed.
    pub fn disconnect_tenant(&mut self, tenant: Uuid) -> usize {
        let mut removed = 0;
        for grant in &mut self.grants {
            let before = grant.connections.len();
            grant.connections.retain(|c| c.tenant_id != tenant);
            removed += before - grant.connections.len();
        }
        removed
    }

    /// Revokes the grant: every connection goes, and its tokens stop working.
    pub fn revoke(&mut self, id: GrantId) {
        if let Some(grant) = self.grants.get_mut(id.0) {
            grant.connections.clear();
            grant.revoked = true;
        }
    }
}
