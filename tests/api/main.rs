//! One test binary for everything that spawns Herold. Tests written as `async fn x(db: Db)`
//! are run once per backend by `on_both_backends!`.

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(herold_tests::Db::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(herold_tests::Db::Postgres).await
                }
            )*
        }
    };
}

mod audit;
mod backup;
mod browser;
mod cancellation;
mod cli;
mod cms_api;
mod delivery;
mod dialogue;
mod discovery;
mod dsar;
mod durability;
mod inbox;
mod interactions;
mod internal_ca;
mod interop;
mod key_shapes;
mod oversight;
mod privacy;
mod process;
mod profiles;
mod relay;
mod reports;
mod retention;
mod scale_out;
mod staff;
mod store;
mod subscriptions;
mod telemetry;
mod tls;
mod vectors;
mod websub;
