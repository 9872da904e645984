"""Getting mail back out of the archive: export to files (eml-zip, mbox, maildir) and restore over IMAP."""
