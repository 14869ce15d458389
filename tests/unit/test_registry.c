/* test_registry.c — the host-function table: order and shape, signatures
 * and statuses from Substrate's sp-io, and every row of the corpus'
 * host-functions-used.tsv (read at test time) found with the same type. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hostapi/registry.h"

static const pvf_hostfn_desc *find(const char *name)
{
	return pvf_hostfn_lookup(name, strlen(name));
}

static void test_table_shape(void **state)
{
	size_t n = pvf_hostfn_count();

	(void)state;
	assert_true(n >= 59);
	assert_null(pvf_hostfn_at(n));
	for (size_t i = 0; i < n; i++) {
		const pvf_hostfn_desc *d = pvf_hostfn_at(i);
		uint8_t p[PVF_HOSTFN_SIG_MAX], r[PVF_HOSTFN_SIG_MAX];
		uint32_t np, nr;

		assert_non_null(d);
		/* sorted, unique (the binary search relies on it) */
		if (i > 0)
			assert_true(strcmp(pvf_hostfn_at(i - 1)->name, d->name) < 0);
		assert_true(strlen(d->name) <= PVF_HOSTFN_NAME_MAX);
		assert_true(strncmp(d->name, "ext_", 4) == 0);
		assert_non_null(strstr(d->name, "_version_"));
		assert_true(d->status == PVF_HOSTFN_IMPLEMENTED || d->status == PVF_HOSTFN_STUB ||
			    d->status == PVF_HOSTFN_STATE);
		/* only main-trie storage (and Cumulus' proof size) depends on
		 * a runtime-call state */
		if (d->status == PVF_HOSTFN_STATE)
			assert_true(strncmp(d->name, "ext_storage_", 12) == 0);
		assert_int_equal(pvf_hostfn_sig_parse(d->sig, p, &np, r, &nr), 0);
		assert_true(nr <= 1); /* host functions return at most one value */
		/* every row is found by lookup */
		assert_ptr_equal(find(d->name), d);
	}
}

/* Signatures read off paritytech/polkadot-sdk substrate/primitives/io/src/lib.rs
 * (pointer i32, fat pointer i64, u32/bool/u8-enum i32, u64 i64), and the two
 * examples given in the pvfhost design brief. */
static void test_known_signatures(void **state)
{
	static const struct {
		const char *name, *sig;
		uint8_t status;
	} want[] = {
		{ "ext_allocator_malloc_version_1", "i:i", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_allocator_free_version_1", "i:", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_hashing_blake2_256_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
		/* RFC-0145 version: data fat pointer + output pointer, no result */
		{ "ext_hashing_keccak_256_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_logging_log_version_1", "iII:", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_crypto_secp256k1_ecdsa_recover_version_3", "iii:i", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_crypto_ecdsa_verify_prehashed_version_1", "iii:i", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_trie_keccak_256_ordered_root_version_2", "Ii:i", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_misc_print_num_version_1", "I:", PVF_HOSTFN_IMPLEMENTED },
		{ "ext_storage_clear_prefix_version_4", "IIIIi:i", PVF_HOSTFN_STUB },
		{ "ext_storage_clear_prefix_version_3", "III:I", PVF_HOSTFN_STUB },
		/* storage: real for runtime calls, stubs for validation */
		{ "ext_storage_get_version_1", "I:I", PVF_HOSTFN_STATE },
		{ "ext_storage_read_version_1", "IIi:I", PVF_HOSTFN_STATE },
		{ "ext_storage_read_version_2", "IIii:I", PVF_HOSTFN_STATE },
		{ "ext_storage_set_version_1", "II:", PVF_HOSTFN_STATE },
		{ "ext_storage_clear_version_1", "I:", PVF_HOSTFN_STATE },
		{ "ext_storage_exists_version_1", "I:i", PVF_HOSTFN_STATE },
		{ "ext_storage_append_version_1", "II:", PVF_HOSTFN_STATE },
		{ "ext_storage_clear_prefix_version_1", "I:", PVF_HOSTFN_STATE },
		{ "ext_storage_clear_prefix_version_2", "II:I", PVF_HOSTFN_STATE },
		{ "ext_storage_next_key_version_1", "I:I", PVF_HOSTFN_STATE },
		{ "ext_storage_next_key_version_2", "II:i", PVF_HOSTFN_STATE },
		{ "ext_storage_root_version_1", ":I", PVF_HOSTFN_STATE },
		{ "ext_storage_root_version_2", "i:I", PVF_HOSTFN_STATE },
		{ "ext_storage_root_version_3", "I:", PVF_HOSTFN_STATE },
		{ "ext_storage_changes_root_version_1", "I:I", PVF_HOSTFN_STATE },
		{ "ext_storage_start_transaction_version_1", ":", PVF_HOSTFN_STATE },
		{ "ext_storage_commit_transaction_version_1", ":", PVF_HOSTFN_STATE },
		{ "ext_storage_rollback_transaction_version_1", ":", PVF_HOSTFN_STATE },
		{ "ext_storage_proof_size_storage_proof_size_version_1", ":I", PVF_HOSTFN_STATE },
		{ "ext_default_child_storage_get_version_1", "II:I", PVF_HOSTFN_STUB },
		{ "ext_default_child_storage_storage_kill_version_2", "II:i", PVF_HOSTFN_STUB },
		{ "ext_offchain_http_request_add_header_version_1", "iII:I", PVF_HOSTFN_STUB },
		{ "ext_offchain_sleep_until_version_1", "I:", PVF_HOSTFN_STUB },
		{ "ext_crypto_ed25519_sign_version_1", "iiI:I", PVF_HOSTFN_STUB },
		{ "ext_crypto_bls381_generate_proof_of_possession_version_1", "iiIi:I", PVF_HOSTFN_STUB },
		{ "ext_transaction_index_index_version_1", "iii:", PVF_HOSTFN_STUB },
		{ "ext_wasm_tracing_exit_version_1", "I:", PVF_HOSTFN_STUB },
		{ "ext_input_read_version_1", "I:", PVF_HOSTFN_IMPLEMENTED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const pvf_hostfn_desc *d = find(want[i].name);
		if (!d)
			fail_msg("%s not in the registry", want[i].name);
		assert_string_equal(d->sig, want[i].sig);
		assert_int_equal(d->status, want[i].status);
	}
}

static void test_lookup_edges(void **state)
{
	const char *n = "ext_allocator_malloc_version_1";
	char buf[64];

	(void)state;
	/* length-delimited: trailing bytes beyond len are ignored */
	snprintf(buf, sizeof(buf), "%sXYZ", n);
	assert_non_null(pvf_hostfn_lookup(buf, strlen(n)));
	/* a proper prefix or extension of a name is not that name */
	assert_null(pvf_hostfn_lookup(n, strlen(n) - 1));
	assert_null(pvf_hostfn_lookup(buf, strlen(n) + 1));
	/* embedded NUL never matches */
	memcpy(buf, n, strlen(n) + 1);
	assert_null(pvf_hostfn_lookup(buf, strlen(n) + 1));
	assert_null(pvf_hostfn_lookup("", 0));
	assert_null(pvf_hostfn_lookup(NULL, 5));
	assert_null(find("ext_allocator_malloc_version_2"));
	assert_null(find("ext_"));
	assert_null(find("zzz"));
	assert_null(find("a"));
	/* first and last rows */
	assert_non_null(find(pvf_hostfn_at(0)->name));
	assert_non_null(find(pvf_hostfn_at(pvf_hostfn_count() - 1)->name));
}

static void test_sig_parse(void **state)
{
	uint8_t p[PVF_HOSTFN_SIG_MAX], r[PVF_HOSTFN_SIG_MAX];
	uint32_t np = 9, nr = 9;

	(void)state;
	assert_int_equal(pvf_hostfn_sig_parse("iIfF:I", p, &np, r, &nr), 0);
	assert_int_equal(np, 4);
	assert_int_equal(nr, 1);
	/* binary encodings of i32 i64 f32 f64 (WebAssembly core spec 5.3.1) */
	assert_int_equal(p[0], 0x7f);
	assert_int_equal(p[1], 0x7e);
	assert_int_equal(p[2], 0x7d);
	assert_int_equal(p[3], 0x7c);
	assert_int_equal(r[0], 0x7e);
	assert_int_equal(pvf_hostfn_sig_parse(":", p, &np, r, &nr), 0);
	assert_int_equal(np, 0);
	assert_int_equal(nr, 0);
	assert_int_equal(pvf_hostfn_sig_parse("ii", p, &np, r, &nr), -1);
	assert_int_equal(pvf_hostfn_sig_parse("i:x", p, &np, r, &nr), -1);
	assert_int_equal(pvf_hostfn_sig_parse("i:i:i", p, &np, r, &nr), -1);
	assert_int_equal(pvf_hostfn_sig_parse("iiiiiiiiiiiiiiiii:", p, &np, r, &nr), -1);
}

/* --- host-functions-used.tsv from the corpus ------------------------------ */

static bool corpus_dir(char *out, size_t cap)
{
	const char *c = getenv("PVFHOST_CORPUS");
	const char *root = getenv("PVFHOST_SOURCE_ROOT");
	char probe[4200];

	if (c && *c)
		snprintf(out, cap, "%s", c);
	else if (root && *root)
		snprintf(out, cap, "%s/../shared/corpus", root);
	else
		snprintf(out, cap, "../shared/corpus");
	snprintf(probe, sizeof(probe), "%s/README.md", out);
	return access(probe, R_OK) == 0;
}

/* "(i32, i64) -> nil" -> "iI:" */
static bool tsv_sig(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	const char *arrow = strstr(s, "->");

	if (!arrow || s[0] != '(')
		return false;
	for (const char *p = s + 1; p < arrow && o + 2 < cap; p++) {
		if (strncmp(p, "i32", 3) == 0)
			out[o++] = 'i';
		else if (strncmp(p, "i64", 3) == 0)
			out[o++] = 'I';
		else if (strncmp(p, "f32", 3) == 0)
			out[o++] = 'f';
		else if (strncmp(p, "f64", 3) == 0)
			out[o++] = 'F';
		else
			continue;
		p += 2;
	}
	out[o++] = ':';
	for (const char *p = arrow + 2; *p && o + 1 < cap; p++) {
		if (strncmp(p, "i32", 3) == 0)
			out[o++] = 'i';
		else if (strncmp(p, "i64", 3) == 0)
			out[o++] = 'I';
		else if (strncmp(p, "f32", 3) == 0)
			out[o++] = 'f';
		else if (strncmp(p, "f64", 3) == 0)
			out[o++] = 'F';
		else
			continue;
		p += 2;
	}
	out[o] = '\0';
	return true;
}

static void test_corpus_tsv(void **state)
{
	char dir[4096], path[4200], line[2048];
	const char *ci = getenv("CI");
	size_t rows = 0, provided = 0;
	FILE *f;

	(void)state;
	if (!corpus_dir(dir, sizeof(dir))) {
		if (ci && strcmp(ci, "true") == 0)
			fail_msg("corpus not found at %s (CI=true)", dir);
		skip();
		return;
	}
	snprintf(path, sizeof(path), "%s/pvf/host-functions-used.tsv", dir);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *fields[6] = { 0 }, *save = NULL, *tok, want[64];
		const pvf_hostfn_desc *d;
		int nf = 0;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line, "\t", &save); tok && nf < 6; tok = strtok_r(NULL, "\t", &save))
			fields[nf++] = tok;
		assert_int_equal(nf, 6);
		rows++;
		d = find(fields[1]);
		if (!d)
			fail_msg("%s (row %zu of the tsv) is not in the registry", fields[1], rows);
		assert_true(tsv_sig(fields[2], want, sizeof(want)));
		if (strcmp(d->sig, want) != 0)
			fail_msg("%s: registry says %s, tsv says %s (%s)", fields[1], d->sig, want, fields[2]);
		/* Status: PROVIDED rows are implemented, STUB rows are stubs for
		 * validation (main-trie storage is real for other runtime calls).
		 * The one deliberate exception: sr25519_generate needs a keystore,
		 * which a PVF never has (Polkadot panics there); pvfhost stubs it. */
		if (strcmp(fields[1], "ext_crypto_sr25519_generate_version_1") == 0)
			assert_int_equal(d->status, PVF_HOSTFN_STUB);
		else if (strncmp(fields[5], "PROVIDED", 8) == 0)
			assert_int_equal(d->status, PVF_HOSTFN_IMPLEMENTED);
		else if (strncmp(fields[1], "ext_storage_", 12) == 0)
			assert_int_equal(d->status, PVF_HOSTFN_STATE);
		else
			assert_int_equal(d->status, PVF_HOSTFN_STUB);
		if (strncmp(fields[5], "PROVIDED", 8) == 0)
			provided++;
	}
	fclose(f);
	/* The corpus README: 59 functions in the tsv. */
	assert_int_equal(rows, 59);
	assert_true(provided > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_known_signatures),
		cmocka_unit_test(test_lookup_edges),
		cmocka_unit_test(test_sig_parse),
		cmocka_unit_test(test_corpus_tsv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
