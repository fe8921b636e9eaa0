//! Authentication at the door: the bearer token of a request and the [`Caller`] extractor.
//! Tokens, passwords and who a token names now are the application's (`app::Accounts`).

mod caller;

pub use caller::Caller;
