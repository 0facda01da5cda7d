use clap::Parser;

/// The allocator of the whole program. glibc's malloc took a fifth to a quarter of ingest CPU
/// (profiled on 8,000 AllSides articles), and its per-thread arenas kept memory freed by the
/// commit thread out of reach of the staging thread (about 90 MB more peak RSS).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
