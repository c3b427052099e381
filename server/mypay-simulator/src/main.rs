//! `mypay-simulator`: the MyPay SIL simulator as a program (the library of this crate).
//! `mypay-simulator --help` lists the options; every option is also a `MYPAY_SIM_*` variable.

use mypay_simulator::{Simulator, SimulatorConfig};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match SimulatorConfig::from_args_and_env(&args, &std::env::vars().collect()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let mode = config.mode;
    let simulator = match Simulator::build(config).await {
        Ok(simulator) => simulator,
        Err(error) => {
            eprintln!("cannot start: {error}");
            std::process::exit(1);
        }
    };
    tracing::info!(?mode, soap = %simulator.soap_url(), "MyPay simulator listening");
    if let Err(error) = simulator.run_until_stopped().await {
        eprintln!("simulator stopped with an error: {error}");
        std::process::exit(1);
    }
}
