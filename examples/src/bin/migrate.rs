//! `cargo run --bin migrate -- <command>`: the app's migrations and entities, run by the
//! dynatable-migrate command line.

fn main() -> std::process::ExitCode {
    dynatable_migrate::cli::Cli::new()
        .default_table(dynatable_example::DEFAULT_TABLE)
        .migrations_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/migrations"))
        .run()
}
