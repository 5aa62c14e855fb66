/*
 * The exit statuses shared by ph-fetch, ph-clean and ph-send.  One table,
 * so a script can read any stage's status the same way; every man page
 * prints it in EXIT STATUS.
 */
#ifndef PH_EXITCODE_H
#define PH_EXITCODE_H

enum ph_exit {
	PH_EXIT_OK = 0,		/* every record done */
	PH_EXIT_REJECTED = 1,	/* some records rejected, all else done */
	PH_EXIT_USAGE = 2,	/* bad options or arguments */
	PH_EXIT_FATAL = 3,	/* stopped: I/O error, bad server reply, ... */
	PH_EXIT_AUTH = 4,	/* the server refused the key (401/403) */
	PH_EXIT_TEMPFAIL = 5	/* retries used up on a passing failure */
};

#endif
