/*
 * serve_www: the page's files (scenarios/www/, installed under
 * $(pkgdatadir)/www) for a teller: GET or HEAD of "/" or "/NAME.EXT".
 * A name is [a-z0-9_-]{1,64} with one of the extensions of a table (that
 * gives its Content-Type), in the directory itself: no slash, no "..", no
 * percent sign, so no path can climb out; the file is opened beneath the
 * directory's descriptor with O_NOFOLLOW (a symlink is refused) and must
 * be a regular file.  Anything else is 404, any other method 405.
 *
 * Contract: serve_www_dir() runs in the master (its choice of directory
 * is passed to the tellers); serve_www_answer() in a teller's MHD thread.
 * Both answer with a code, the caller prints.
 */
#ifndef SCENARIOS_SERVE_WWW_H
#define SCENARIOS_SERVE_WWW_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

/*
 * The page's directory: given (--www DIR), else the installed one if it
 * has index.html, else the source tree's (an uninstalled build).  Its
 * real path into buf; 0, or -errno (ENOENT: none found, the given one
 * included).
 */
int serve_www_dir(const char *given, char *buf, size_t len);

/*
 * A teller's descriptor of the folder dir (NULL: none), or -1 (then
 * every page path is 404: a folder that went away since the master
 * looked).  serve_www_close() takes either.
 */
int serve_www_open(const char *dir);
void serve_www_close(int dirfd);

/* Whether url is the page's (not the API's "/v1..."). */
bool serve_www_is_page(const char *url);

/*
 * Answer a request for url from the directory open at dirfd (-1: no
 * page, all 404); teller names the teller in X-Banklab-Teller.
 */
enum MHD_Result serve_www_answer(int dirfd, struct MHD_Connection *c,
    const char *url, const char *method, const char *teller);

#endif
