//! The `moisson` binary: parses the command line and runs one subcommand.

use std::process::ExitCode;

fn main() -> ExitCode {
    moisson_web::cli::main()
}
