//! The `.deb` that `scripts/package` builds: its control file names the package, its WebKitGTK
//! dependency and its size; its desktop entry starts the app from the Office and Finance menus;
//! the app's two worker programs are installed beside it. Ignored by plain `cargo test` and not
//! run by `scripts/test` (the release build with LTO takes tens of minutes on two cores): run
//! `scripts/package`, then `cargo test -p plainsight-tests package -- --ignored`.

use std::path::PathBuf;
use std::process::Command;

fn the_deb() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = target.join("release/bundle/deb");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no {} ({e}): run scripts/package first", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    debs.sort();
    debs.pop().expect("a .deb: run scripts/package first")
}

fn dpkg_deb(args: &[&str]) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs the package scripts/package builds"]
fn the_deb_installs_the_app_its_workers_and_a_desktop_entry() {
    let deb = the_deb();
    let deb = deb.to_str().expect("a UTF-8 path");
    let control = dpkg_deb(&["--field", deb]);
    for field in [
        "Package: plainsight",
        "Architecture: amd64",
        "Installed-Size:",
    ] {
        assert!(control.contains(field), "{field} in:\n{control}");
    }
    let depends = control
        .lines()
        .find(|l| l.starts_with("Depends:"))
        .unwrap_or_default();
    assert!(depends.contains("libwebkit2gtk-4.1-0"), "{depends}");
    assert_eq!(
        depends.matches("libwebkit2gtk-4.1-0").count(),
        1,
        "each dependency once: {depends}"
    );

    let files = dpkg_deb(&["--contents", deb]);
    for path in [
        "usr/bin/plainsight-app",
        "usr/bin/plainsight-python-worker",
        "usr/bin/plainsight-query-worker",
        "usr/bin/plainsight-duckdb-worker",
        "usr/lib/plainsight/libduckdb.so",
        "usr/share/applications/",
        "usr/share/icons/hicolor/128x128/apps/plainsight-app.png",
    ] {
        assert!(files.contains(path), "{path} in the package:\n{files}");
    }
    // The DuckDB worker finds the library the package installs beside it, not the build's.
    let root = tempfile::tempdir().expect("temp dir");
    let unpacked = Command::new("dpkg-deb")
        .args(["-x", deb])
        .arg(root.path())
        .status()
        .expect("dpkg-deb runs");
    assert!(unpacked.success());
    let ldd = Command::new("ldd")
        .arg(root.path().join("usr/bin/plainsight-duckdb-worker"))
        .output()
        .expect("ldd runs");
    let linked = String::from_utf8_lossy(&ldd.stdout);
    let want = root.path().join("usr/bin/../lib/plainsight/libduckdb.so");
    assert!(
        linked.contains(&format!("libduckdb.so => {}", want.display())),
        "{linked}"
    );
    let desktop_path = files
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .find(|p| p.ends_with(".desktop"))
        .expect("a desktop entry");
    let tar = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "dpkg-deb --fsys-tarfile '{deb}' | tar -xOf - '{desktop_path}'"
        ))
        .output()
        .expect("tar runs");
    let entry = String::from_utf8_lossy(&tar.stdout);
    for line in [
        "[Desktop Entry]",
        "Type=Application",
        "Name=Plainsight",
        "Exec=plainsight-app",
        "Icon=plainsight-app",
        "Categories=Office;Finance;",
    ] {
        assert!(entry.lines().any(|l| l == line), "{line} in:\n{entry}");
    }
    assert!(entry.lines().any(|l| l.starts_with("Comment=")), "{entry}");
}
