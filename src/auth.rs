//! Login events in the messages of sshd, sudo and su: who tried which account, from where, how, and
//! whether it worked. One attempt gives one `auth`: sshd's own `Failed …` and `Accepted …` lines
//! carry it; the lines that describe the same attempt again (PAM's `authentication failure`,
//! `Invalid user`, the disconnections) give the address and account only, so that counting records
//! with `auth=failure` counts attempts.

/// Whether an attempt worked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Failure,
    Success,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Failure => "failure",
            Outcome::Success => "success",
        }
    }
}

/// What a login line says. Every field borrows from the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Login<'a> {
    pub auth: Option<Outcome>,
    /// The account tried (for su and sudo's PAM lines, the target account).
    pub login: Option<&'a [u8]>,
    /// The address the attempt came from.
    pub ip: Option<&'a [u8]>,
    pub port: Option<u64>,
    /// `password`, `publickey`, `keyboard-interactive`, `none`, … as sshd names it.
    pub method: Option<&'a [u8]>,
}

/// Whether lines of this program can carry login events: sshd, sudo and su, and their PAM module
/// as older systems tag it (`sshd(pam_unix)`).
#[inline]
pub fn is_login_program(program: &[u8]) -> bool {
    matches!(program, b"sshd" | b"sshd-session" | b"sudo" | b"su")
        || program.strip_suffix(b"(pam_unix)").is_some_and(is_login_program)
}

/// The login event in `message`, a line of `program`; `None` when the line says nothing of one.
pub fn parse<'a>(program: &[u8], message: &'a [u8]) -> Option<Login<'a>> {
    if let Some(pam) = message.strip_prefix(b"pam_unix(") {
        let (_, rest) = split_once(pam, b"): authentication failure; ")?;
        return Some(pam_failure(rest));
    }
    if let Some(rest) = message.strip_prefix(b"authentication failure; ") {
        return program.ends_with(b"(pam_unix)").then(|| pam_failure(rest));
    }
    match program {
        b"sshd" | b"sshd-session" => sshd(message),
        b"sudo" => sudo(message),
        b"su" => su(message),
        _ => None,
    }
}

/// `Failed password for [invalid user ]root from 203.0.113.5 port 52211 ssh2`,
/// `Accepted publickey for alice from 198.51.100.7 port 50022 ssh2: ED25519 SHA256:…`, and the
/// lines that repeat an attempt's address: `Invalid user admin from IP port P`, `Connection closed
/// by [authenticating|invalid] user root IP port P [preauth]`, `Disconnected from … user L IP port P`.
fn sshd(message: &[u8]) -> Option<Login<'_>> {
    let (auth, rest) = if let Some(rest) = message.strip_prefix(b"Failed ") {
        (Some(Outcome::Failure), rest)
    } else if let Some(rest) = message.strip_prefix(b"Accepted ") {
        (Some(Outcome::Success), rest)
    } else {
        return sshd_address(message);
    };
    let (method, rest) = split_once(rest, b" for ")?;
    // `keyboard-interactive/pam`: the method is the part before the slash.
    let method = before(method, b"/");
    let rest = rest.strip_prefix(b"invalid user ").unwrap_or(rest);
    // The account may hold spaces: the address is after the last ` from `.
    let at = rfind(rest, b" from ")?;
    let login = &rest[..at];
    let (ip, port) = ip_port(&rest[at + 6..]);
    (!method.is_empty() && !ip.is_empty()).then_some(Login {
        auth,
        login: Some(login),
        ip: Some(ip),
        port,
        method: Some(method),
    })
}

/// sshd's lines about an attempt already counted, or its connection: the account and address.
fn sshd_address(message: &[u8]) -> Option<Login<'_>> {
    if let Some(rest) = message.strip_prefix(b"Invalid user ") {
        let at = rfind(rest, b" from ")?;
        let (ip, port) = ip_port(&rest[at + 6..]);
        return Some(Login { login: Some(&rest[..at]), ip: Some(ip), port, ..Login::default() });
    }
    let rest = message
        .strip_prefix(b"Connection closed by ")
        .or_else(|| message.strip_prefix(b"Disconnected from "))
        .or_else(|| message.strip_prefix(b"Connection reset by "))?;
    let rest = rest.strip_suffix(b" [preauth]").unwrap_or(rest);
    // `[authenticating |invalid ]user L IP port P`, or `IP port P`.
    let rest = rest.strip_prefix(b"authenticating ").or_else(|| rest.strip_prefix(b"invalid ")).unwrap_or(rest);
    match rest.strip_prefix(b"user ") {
        Some(rest) => {
            let at = rfind(rest, b" port ")?;
            let ip_at = rfind(&rest[..at], b" ")?;
            let port = number(before(&rest[at + 6..], b" "));
            Some(Login { login: Some(&rest[..ip_at]), ip: Some(&rest[ip_at + 1..at]), port, ..Login::default() })
        }
        None => {
            let (ip, port) = ip_port(rest);
            port.map(|port| Login { ip: Some(ip), port: Some(port), ..Login::default() })
        }
    }
}

/// `203.0.113.5 port 52211[ …]`, or an address alone.
fn ip_port(s: &[u8]) -> (&[u8], Option<u64>) {
    match split_once(s, b" port ") {
        Some((ip, after)) => (ip, number(before(after, b" "))),
        None => (before(s, b" "), None),
    }
}

/// What follows PAM's `pam_unix(sshd:auth): authentication failure; ` (or, tagged
/// `sshd(pam_unix)`, `authentication failure; `): `logname= uid=0 euid=0 tty=ssh ruser=
/// rhost=203.0.113.5  user=root`. The same attempt as the program's own line, so no `auth`.
fn pam_failure(rest: &[u8]) -> Login<'_> {
    let mut login = Login::default();
    // `user=` comes last and is the account as given, spaces and all.
    let (fields, user) = match rfind(rest, b" user=") {
        Some(at) => (&rest[..at], Some(&rest[at + 6..])),
        None => (rest, None),
    };
    login.login = user.filter(|u| !u.is_empty());
    for word in fields.split(|&c| c == b' ') {
        if let Some(ip) = word.strip_prefix(b"rhost=").filter(|v| !v.is_empty()) {
            login.ip = Some(ip);
        }
    }
    login
}

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id` (a command run: a
/// success), `alice : 3 incorrect password attempts ; TTY=…` and `alice : user NOT in sudoers ;
/// TTY=…` (failures). The login is the user who ran sudo.
fn sudo(message: &[u8]) -> Option<Login<'_>> {
    let message = message.trim_ascii_start();
    let (user, rest) = split_once(message, b" : ")?;
    if user.is_empty() || user.contains(&b' ') {
        return None;
    }
    let first = before(rest, b" ; ");
    let auth = if first.starts_with(b"TTY=") || first.starts_with(b"PWD=") {
        Outcome::Success
    } else if first.ends_with(b"incorrect password attempt")
        || first.ends_with(b"incorrect password attempts")
        || first == b"user NOT in sudoers"
        || first == b"user NOT authorized on host"
    {
        Outcome::Failure
    } else {
        return None;
    };
    Some(Login { auth: Some(auth), login: Some(user), ..Login::default() })
}

/// util-linux's `(to root) alice on pts/0` and `FAILED SU (to root) alice on pts/0`, shadow's
/// `Successful su for root by alice` and `FAILED su for root by alice`. The login is the account
/// switched to.
fn su(message: &[u8]) -> Option<Login<'_>> {
    let (auth, rest) = if let Some(rest) = message.strip_prefix(b"FAILED SU (to ") {
        (Outcome::Failure, rest)
    } else if let Some(rest) = message.strip_prefix(b"(to ") {
        (Outcome::Success, rest)
    } else if let Some(rest) = message.strip_prefix(b"Successful su for ") {
        let (target, _) = split_once(rest, b" by ")?;
        return Some(Login { auth: Some(Outcome::Success), login: Some(target), ..Login::default() });
    } else if let Some(rest) = message.strip_prefix(b"FAILED su for ") {
        let (target, _) = split_once(rest, b" by ")?;
        return Some(Login { auth: Some(Outcome::Failure), login: Some(target), ..Login::default() });
    } else {
        return None;
    };
    let (target, _) = split_once(rest, b") ")?;
    Some(Login { auth: Some(auth), login: Some(target), ..Login::default() })
}

// Messages are short: comparing in place beats the searcher that bstr's `find` and `split_str`
// build for every call (an sshd line took 2,100 instructions with them).

/// Where `needle` (not empty) first occurs in `s`.
fn find(s: &[u8], needle: &[u8]) -> Option<usize> {
    s.windows(needle.len()).position(|w| w[0] == needle[0] && w == needle)
}

/// Where `needle` (not empty) last occurs in `s`.
fn rfind(s: &[u8], needle: &[u8]) -> Option<usize> {
    s.windows(needle.len()).rposition(|w| w[0] == needle[0] && w == needle)
}

/// What comes before and after the first `sep` in `s`.
fn split_once<'a>(s: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    find(s, sep).map(|i| (&s[..i], &s[i + sep.len()..]))
}

/// `s` up to the first `sep`, or all of it.
fn before<'a>(s: &'a [u8], sep: &[u8]) -> &'a [u8] {
    find(s, sep).map_or(s, |i| &s[..i])
}

fn number(s: &[u8]) -> Option<u64> {
    (!s.is_empty() && s.len() <= 19 && s.iter().all(u8::is_ascii_digit))
        .then(|| s.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// auth, login, ip, port, method.
    type Said = (Option<&'static str>, String, String, Option<u64>, String);

    fn login(program: &str, message: &str) -> Option<Said> {
        let message: &'static [u8] = Box::leak(message.as_bytes().to_vec().into_boxed_slice());
        parse(program.as_bytes(), message).map(|l| {
            let s = |v: Option<&[u8]>| String::from_utf8_lossy(v.unwrap_or_default()).into_owned();
            (l.auth.map(Outcome::as_str), s(l.login), s(l.ip), l.port, s(l.method))
        })
    }

    #[test]
    fn sshd_attempts() {
        assert_eq!(
            login("sshd", "Failed password for invalid user admin from 203.0.113.5 port 52211 ssh2"),
            Some((Some("failure"), "admin".into(), "203.0.113.5".into(), Some(52211), "password".into()))
        );
        assert_eq!(
            login("sshd", "Accepted publickey for alice from 2001:db8::7 port 50022 ssh2: ED25519 SHA256:abc"),
            Some((Some("success"), "alice".into(), "2001:db8::7".into(), Some(50022), "publickey".into()))
        );
        assert_eq!(
            login("sshd-session", "Failed keyboard-interactive/pam for root from 10.0.0.1 port 1 ssh2"),
            Some((Some("failure"), "root".into(), "10.0.0.1".into(), Some(1), "keyboard-interactive".into()))
        );
        assert_eq!(
            login("sshd", "Failed none for invalid user  from 10.0.0.1 port 2 ssh2"),
            Some((Some("failure"), "".into(), "10.0.0.1".into(), Some(2), "none".into()))
        );
    }

    #[test]
    fn lines_about_the_same_attempt_carry_no_auth() {
        assert_eq!(
            login("sshd", "Invalid user admin from 203.0.113.5 port 44120"),
            Some((None, "admin".into(), "203.0.113.5".into(), Some(44120), "".into()))
        );
        assert_eq!(
            login(
                "sshd",
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root"
            ),
            Some((None, "root".into(), "203.0.113.5".into(), None, "".into()))
        );
        assert_eq!(
            login("sshd", "Connection closed by authenticating user root 203.0.113.5 port 5 [preauth]"),
            Some((None, "root".into(), "203.0.113.5".into(), Some(5), "".into()))
        );
        assert_eq!(
            login("sshd", "Disconnected from 203.0.113.5 port 6"),
            Some((None, "".into(), "203.0.113.5".into(), Some(6), "".into()))
        );
        assert_eq!(
            login(
                "sshd(pam_unix)",
                "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4"
            ),
            Some((None, "".into(), "218.188.2.4".into(), None, "".into()))
        );
        assert_eq!(login("sshd", "Server listening on 0.0.0.0 port 22."), None);
        assert_eq!(login("CRON", "Failed password for root from 1.2.3.4 port 5 ssh2"), None);
    }

    #[test]
    fn sudo_and_su() {
        assert_eq!(
            login("sudo", "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"),
            Some((Some("success"), "alice".into(), "".into(), None, "".into()))
        );
        assert_eq!(
            login("sudo", "mallory : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh"),
            Some((Some("failure"), "mallory".into(), "".into(), None, "".into()))
        );
        assert_eq!(
            login("su", "FAILED SU (to root) alice on pts/0"),
            Some((Some("failure"), "root".into(), "".into(), None, "".into()))
        );
        assert_eq!(
            login("su", "(to root) alice on pts/0"),
            Some((Some("success"), "root".into(), "".into(), None, "".into()))
        );
        assert_eq!(
            login("su", "Successful su for root by alice"),
            Some((Some("success"), "root".into(), "".into(), None, "".into()))
        );
        assert_eq!(login("sudo", "pam_unix(sudo:session): session opened for user root"), None);
    }
}
