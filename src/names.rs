//! Rules for user and repository names, shared by the API, the forms and the command line.

/// Top-level path words no user or organisation may take, because routes live there.
const RESERVED_USERNAMES: &[&str] = &[
    "account-mirrors",
    "admin",
    "api",
    "assets",
    "explore",
    "favicon.ico",
    "healthz",
    "help",
    "import",
    "login",
    "logout",
    "metrics",
    "mirrors",
    "new",
    "org",
    "orgs",
    "readyz",
    "register",
    "repo",
    "repos",
    "robots.txt",
    "settings",
    "static",
    "user",
    "users",
];

fn valid_chars(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Checks a repository name; the error says what is wrong.
///
/// # Errors
/// A message naming the broken rule.
pub fn check_repo_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("name is required".to_owned());
    }
    if name.len() > 100 {
        return Err("name must be at most 100 characters".to_owned());
    }
    if !valid_chars(name) {
        return Err("name may contain only letters, digits, '.', '_' and '-'".to_owned());
    }
    if name == "." || name == ".." {
        return Err("name cannot be '.' or '..'".to_owned());
    }
    if name.to_ascii_lowercase().ends_with(".git") {
        return Err("name cannot end in '.git'".to_owned());
    }
    Ok(())
}

/// Checks a user name; the error says what is wrong.
///
/// # Errors
/// A message naming the broken rule.
pub fn check_username(name: &str) -> Result<(), String> {
    check_owner(name, "username")
}

/// Checks an organisation's name: the rules of user names, which share its namespace.
///
/// # Errors
/// A message naming the broken rule.
pub fn check_owner_name(name: &str) -> Result<(), String> {
    check_owner(name, "name")
}

/// The rules of every owner's name; `word` is what the messages call it.
fn check_owner(name: &str, word: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{word} is required"));
    }
    if name.len() > 40 {
        return Err(format!("{word} must be at most 40 characters"));
    }
    if !valid_chars(name) {
        return Err(format!(
            "{word} may contain only letters, digits, '.', '_' and '-'"
        ));
    }
    if name.starts_with(['.', '-']) || name.ends_with('.') {
        return Err(format!(
            "{word} cannot start with '.' or '-' or end with '.'"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".git") {
        return Err(format!("{word} cannot end in '.git'"));
    }
    if RESERVED_USERNAMES.contains(&lower.as_str()) {
        return Err(format!("{word} '{name}' is reserved"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names() {
        for good in ["a", "my-repo", "x.y_z", &"a".repeat(100)] {
            assert!(check_repo_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a b",
            "a/b",
            "repo.git",
            "REPO.GIT",
            "ü",
            &"a".repeat(101),
        ] {
            assert!(check_repo_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert!(check_username("alice").is_ok());
        for bad in [
            "api",
            "Static",
            "login",
            "",
            "a b",
            ".hidden",
            "x.git",
            &"a".repeat(41),
        ] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
