/*
 * make-adder-params.c — writes the bundled demo block for the mini adder:
 * SCALE ValidationParams with the adder genesis head (number 0, parent
 * hash 0, post_state = keccak256(0u64)), block data {state 0, add N} and a
 * relay parent number, as 0x-hex text.
 *
 * usage: make-adder-params OUT.hex [ADD] [RELAY_PARENT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostapi/hashing.h"

int main(int argc, char **argv)
{
	uint8_t params[2 + 72 + 1 + 16 + 4 + 32];
	uint64_t add = argc > 2 ? strtoull(argv[2], NULL, 10) : 7;
	uint32_t relay = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 1;
	uint8_t zero[8] = { 0 };
	size_t n = 0;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: make-adder-params OUT.hex [ADD] [RELAY_PARENT]\n");
		return 2;
	}
	/* parent_head: Vec<u8> of 72 bytes (compact 72 = 0x21 0x01) */
	params[n++] = 0x21;
	params[n++] = 0x01;
	memset(params + n, 0, 40); /* number 0, parent hash 0 */
	pvf_keccak_256(zero, 8, params + n + 40);
	n += 72;
	/* block_data: Vec<u8> of 16 bytes: state 0, add */
	params[n++] = 16 << 2;
	memset(params + n, 0, 8);
	for (int i = 0; i < 8; i++)
		params[n + 8 + i] = (uint8_t)(add >> (8 * i));
	n += 16;
	for (int i = 0; i < 4; i++)
		params[n++] = (uint8_t)(relay >> (8 * i));
	memset(params + n, 0, 32); /* relay_parent_storage_root */
	n += 32;

	f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fputs("0x", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", params[i]);
	fputc('\n', f);
	return fclose(f) == 0 ? 0 : 1;
}
