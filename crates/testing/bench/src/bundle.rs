//! The size of the Worker as deployed: the WASM module and its JS shim.

use std::process::Command;

use oi_testkit::repo_root;

pub fn run() -> anyhow::Result<()> {
    let build = repo_root().join("control-plane/build");
    let wasm = build.join("index_bg.wasm");
    let raw = std::fs::metadata(&wasm)?.len();
    let gz = Command::new("gzip").arg("-9c").arg(&wasm).output()?.stdout.len();
    let js = std::fs::metadata(build.join("index.js"))?.len();
    println!("## Worker bundle\n");
    println!("| file | bytes | gzip -9 |");
    println!("|---|---|---|");
    println!("| index_bg.wasm | {raw} | {gz} |");
    println!("| index.js (shim) | {js} | |\n");
    Ok(())
}
