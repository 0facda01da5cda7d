use clap::Parser;

fn main() {
    let cli = quotetrace::cli::Cli::parse();
    let code = match quotetrace::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("quotetrace: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
