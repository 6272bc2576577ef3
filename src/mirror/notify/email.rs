//! The notification email to a repository's owner, plain text, through the SMTP server of
//! `MIRRORFORGE_SMTP_URL`.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

use super::Notice;

/// How long the SMTP conversation may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// An email ready to send.
pub(super) struct Mail(Message);

impl Mail {
    /// The email telling `to` about `notice`, from `from`.
    ///
    /// # Errors
    /// An address that is not one, in words.
    pub(super) fn of(notice: &Notice, from: &str, to: &str) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("MIRRORFORGE_MAIL_FROM is not an address ({e})"))?;
        let to: Mailbox = to
            .parse()
            .map_err(|_| "the owner has no valid email address".to_owned())?;
        let (subject, body) = if notice.event == "mirror.failed" {
            (
                format!("[mirrorforge] {} failed to sync", notice.repository),
                format!(
                    "The mirror {} failed to sync.\n\nError: {}\nDirection: {}\nWhen: {}\n\n\
                     Repository: {}\nMirror settings: {}/settings/mirror\n\n\
                     You get this email once when a mirror starts failing, and once when it recovers.\n",
                    notice.repository,
                    notice.error,
                    notice.direction.as_str(),
                    notice.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    notice.url,
                    notice.url,
                ),
            )
        } else {
            (
                format!("[mirrorforge] {} syncs again", notice.repository),
                format!(
                    "The mirror {} synced successfully again.\n\nWhen: {}\nRepository: {}\n",
                    notice.repository,
                    notice.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    notice.url,
                ),
            )
        };
        Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map(Self)
            .map_err(|e| format!("the email could not be built ({e})"))
    }

    /// One try at handing the email to the SMTP server at `smtp_url`.
    ///
    /// # Errors
    /// The server refused or could not be reached, in words without the URL.
    pub(super) async fn send(&self, smtp_url: &str) -> Result<(), String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|_| "MIRRORFORGE_SMTP_URL is not a usable SMTP URL".to_owned())?
            .timeout(Some(TIMEOUT))
            .build();
        transport
            .send(self.0.clone())
            .await
            .map(|_| ())
            .map_err(|e| format!("the SMTP server did not take the email ({e})"))
    }
}
