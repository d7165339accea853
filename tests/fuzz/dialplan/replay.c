/*
 * Replay driver for fuzz_dialplan.c where libFuzzer is not available (gcc
 * builds): runs each file named on the command line through the target.
 * Exit 0 when all ran; a bug shows as a crash or a sanitizer report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = malloc(1u << 20);
		size_t n;

		if (!f || !buf) {
			perror(argv[i]);
			return 2;
		}
		n = fread(buf, 1, 1u << 20, f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
