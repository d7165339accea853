/*
 * Replay driver for the fuzz targets where libFuzzer is not available (gcc
 * builds): runs each file named on the command line through the target;
 * a directory stands for the files in it (sorted by name, so that a
 * regression seed dropped into a corpus directory replays without a
 * build change). Exit 0 when all ran; a bug shows as a crash, an abort
 * of the target's own checks or a sanitizer report.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (1u << 20)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(REPLAY_MAX);
	size_t n;

	if (!f || !buf) {
		perror(path);
		if (f)
			fclose(f);
		free(buf);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX, f);
	fclose(f);
	/* An exact-size copy: ASan then sees a read past the input. */
	uint8_t *in = malloc(n ? n : 1);

	if (in) {
		memcpy(in, buf, n);
		LLVMFuzzerTestOneInput(in, n);
	}
	free(in);
	free(buf);
	return in ? 1 : -1;
}

static int replay_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	int i, n = scandir(dir, &names, NULL, alphasort), done = 0, rc;

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && done >= 0) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			rc = replay_file(path);
			done = rc < 0 ? -1 : done + rc;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, total = 0, n;

	for (i = 1; i < argc; i++) {
		n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
			    ? replay_dir(argv[i])
			    : replay_file(argv[i]);
		if (n < 0)
			return 2;
		total += n;
	}
	printf("replayed %d inputs\n", total);
	return 0;
}
