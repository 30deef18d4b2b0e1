fn main() -> std::process::ExitCode {
    herold::cli::main()
}
