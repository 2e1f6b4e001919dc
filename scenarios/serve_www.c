/*
 * serve_www: the page's files (serve_www.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve_www.h"

#define WWW_NAME_MAX	64

/* The extensions served, and what each is. */
static const struct {
	const char *ext;
	const char *type;
} www_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "txt", "text/plain; charset=utf-8" },
};

/*
 * The page loads its own files and talks to its own server, nothing else:
 * no inline script, no other origin, no framing.
 */
static const char www_policy[] = "default-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

/* Whether dir/index.html exists; dir's real path into buf. */
static int
www_try(const char *dir, bool needs_index, char *buf, size_t len)
{
	char path[PATH_MAX], *real;
	struct stat st;

	if (dir == NULL || dir[0] == '\0')
		return -ENOENT;
	if (needs_index) {
		if ((size_t)snprintf(path, sizeof(path), "%s/index.html",
		    dir) >= sizeof(path))
			return -ENAMETOOLONG;
		if (stat(path, &st) == -1)
			return -errno;
	}
	if ((real = realpath(dir, NULL)) == NULL)
		return -errno;
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		free(real);
		return -ENOTDIR;
	}
	if (strlen(real) >= len) {
		free(real);
		return -ENAMETOOLONG;
	}
	strcpy(buf, real);
	free(real);
	return 0;
}

int
serve_www_dir(const char *given, char *buf, size_t len)
{
	if (given != NULL)
		return www_try(given, false, buf, len);
	if (www_try(WWW_DIR, true, buf, len) == 0)
		return 0;
	return www_try(SRC_WWW_DIR, true, buf, len);
}

int
serve_www_open(const char *dir)
{
	return dir == NULL ? -1 : open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

void
serve_www_close(int dirfd)
{
	if (dirfd >= 0)
		close(dirfd);
}

bool
serve_www_is_page(const char *url)
{
	return strncmp(url, "/v1", 3) != 0 ||
	    (url[3] != '/' && url[3] != '\0');
}

/*
 * url's file name ("/" is index.html) if it is one we may serve; its
 * Content-Type into *type.  NULL if not.
 */
static const char *
www_name(const char *url, char *name, size_t len, const char **type)
{
	const char *dot;
	size_t n, i;

	if (strcmp(url, "/") == 0)
		url = "/index.html";
	if (url[0] != '/')
		return NULL;
	url++;
	if ((dot = strchr(url, '.')) == NULL ||
	    (n = (size_t)(dot - url)) == 0 || n > WWW_NAME_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if (!((url[i] >= 'a' && url[i] <= 'z') ||
		    (url[i] >= '0' && url[i] <= '9') || url[i] == '_' ||
		    url[i] == '-'))
			return NULL;
	for (i = 0; i < sizeof(www_types) / sizeof(www_types[0]); i++)
		if (strcmp(dot + 1, www_types[i].ext) == 0) {
			*type = www_types[i].type;
			snprintf(name, len, "%s", url);
			return name;
		}
	return NULL;
}

/* A JSON error answer, as the API's. */
static enum MHD_Result
www_error(struct MHD_Connection *c, unsigned status, const char *body,
    const char *teller)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(strlen(body),
	    (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "X-Banklab-Teller", teller);
	if (status == 405)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* The regular file name beneath dirfd, open; -1 if there is none. */
static int
www_open(int dirfd, const char *name, struct stat *st)
{
	int fd;

	/* O_NONBLOCK: a FIFO in the directory must not hold the teller. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) ||
	    fcntl(fd, F_SETFL, 0) == -1) {	/* MHD reads it blocking */
		close(fd);
		return -1;
	}
	return fd;
}

enum MHD_Result
serve_www_answer(int dirfd, struct MHD_Connection *c, const char *url,
    const char *method, const char *teller)
{
	static const char no_file[] = "{\"error\": \"no such path\"}\n";
	static const char no_method[] =
	    "{\"error\": \"method not allowed\"}\n";
	char name[WWW_NAME_MAX + 16];
	const char *type = NULL;
	struct MHD_Response *r;
	struct stat st;
	enum MHD_Result ok;
	int fd;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return www_error(c, 405, no_method, teller);
	if (dirfd < 0 || www_name(url, name, sizeof(name), &type) == NULL ||
	    (fd = www_open(dirfd, name, &st)) < 0)
		return www_error(c, 404, no_file, teller);
	/* The response owns fd, and closes it when it is destroyed. */
	if ((r = MHD_create_response_from_fd((size_t)st.st_size, fd)) ==
	    NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", www_policy);
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Banklab-Teller", teller);
	ok = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ok;
}
