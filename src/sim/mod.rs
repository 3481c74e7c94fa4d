//! A faithful Xero simulator: identity, connections and the Accounting API over real HTTP.
