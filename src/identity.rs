//! Who is at the keyboard, for the `createdBy` of silences and the audit log: the name of the
//! real user id in the password database (also when `$USER` is unset or wrong, e.g. under
//! cron, systemd or `env -i`), else `$USER` / `$LOGNAME`, else `uid N`.

use std::ffi::CStr;
use std::sync::OnceLock;

/// The local user's name (looked up once). Blocking on first use (the password database may
/// be a file or a network service): call from a blocking context or at start-up.
pub fn local_user() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        password_entry_name(uid)
            .or_else(|| env_user("USER"))
            .or_else(|| env_user("LOGNAME"))
            .unwrap_or_else(|| format!("uid {uid}"))
    })
}

fn env_user(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// `getpwuid_r(uid)`'s user name, growing the buffer while the entry does not fit.
fn password_entry_name(uid: libc::uid_t) -> Option<String> {
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: an all-zero passwd is a valid value (null pointers, zero ids); it is only
        // read after getpwuid_r filled it.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the given length for the duration of the call;
        // the strings of `entry` point into `buf`, which outlives their use below.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found) };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || found.is_null() || entry.pw_name.is_null() {
            return None;
        }
        // SAFETY: getpwuid_r succeeded: pw_name is a NUL-terminated string inside `buf`.
        let name = unsafe { CStr::from_ptr(entry.pw_name) };
        return name
            .to_str()
            .ok()
            .filter(|n| !n.is_empty())
            .map(str::to_string);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_database_names_the_real_user() {
        let out = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let expected = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // SAFETY: see password_entry_name.
        let uid = unsafe { libc::getuid() };
        assert_eq!(password_entry_name(uid).as_deref(), Some(expected.as_str()));
        assert_eq!(local_user(), expected);
    }
}
