/*
 * validation.h — the SCALE codecs for what goes into and comes out of
 * `validate_block`:
 *
 *   ValidationParams = Vec<u8> parent_head ‖ Vec<u8> block_data ‖
 *                      u32 relay_parent_number ‖ [u8;32] relay_parent_storage_root
 *   ValidationResult = Vec<u8> head_data ‖ Option<Vec<u8>> new_validation_code ‖
 *                      Vec<Vec<u8>> upward_messages (<= 16,384) ‖
 *                      Vec<(u32, Vec<u8>)> horizontal_messages (<= 16,384) ‖
 *                      u32 processed_downward_messages ‖ u32 hrmp_watermark
 *
 * (polkadot-sdk polkadot/parachain/src/primitives.rs; the bounds are
 * MAX_UPWARD_MESSAGE_NUM / MAX_HORIZONTAL_MESSAGE_NUM = 16 * 1024, enforced by
 * BoundedVec at decode time.)
 *
 * Decoded structures own their bytes: decode copies the input once into a
 * private buffer and every pvf_bytes points into it; free with the matching
 * *_free function (safe on a zeroed struct and twice in a row).
 * Decoding is strict: truncation, trailing bytes, bad Option tags,
 * non-canonical compact lengths and counts over the bounds all fail — with
 * PVF_E_BAD_RESULT for a result, PVF_E_USAGE for params — and a message that
 * says which field at which offset. No allocation is larger than the input
 * plus 16,384 array entries per message list.
 */
#ifndef PVF_COMMON_VALIDATION_H
#define PVF_COMMON_VALIDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* polkadot-sdk polkadot/parachain/src/primitives.rs */
#define PVF_MAX_UPWARD_MESSAGE_NUM 16384u
#define PVF_MAX_HORIZONTAL_MESSAGE_NUM 16384u

typedef struct pvf_bytes {
	const uint8_t *data;
	size_t len;
} pvf_bytes;

typedef struct pvf_hrmp_message {
	uint32_t recipient;
	pvf_bytes data;
} pvf_hrmp_message;

typedef struct pvf_validation_params {
	pvf_bytes parent_head;
	pvf_bytes block_data;
	uint32_t relay_parent_number;
	uint8_t relay_parent_storage_root[32];
	void *storage_; /* owned copy of the decoded input; NULL when built by hand */
} pvf_validation_params;

typedef struct pvf_validation_result {
	pvf_bytes head_data;
	bool has_new_validation_code;
	pvf_bytes new_validation_code;
	pvf_bytes *upward_messages;
	size_t n_upward_messages;
	pvf_hrmp_message *horizontal_messages;
	size_t n_horizontal_messages;
	uint32_t processed_downward_messages;
	uint32_t hrmp_watermark;
	void *storage_; /* owned: input copy; arrays are owned when storage_ != NULL */
} pvf_validation_result;

/* Encodes into a new malloc'd buffer (*ret_buf, *ret_len). */
int pvf_validation_params_encode(const pvf_validation_params *p, uint8_t **ret_buf,
				 size_t *ret_len, pvf_error *err);
int pvf_validation_params_decode(const uint8_t *buf, size_t len, pvf_validation_params *ret,
				 pvf_error *err);
void pvf_validation_params_free(pvf_validation_params *p);

int pvf_validation_result_encode(const pvf_validation_result *r, uint8_t **ret_buf,
				 size_t *ret_len, pvf_error *err);
int pvf_validation_result_decode(const uint8_t *buf, size_t len, pvf_validation_result *ret,
				 pvf_error *err);
/* The ValidationResult at the start of `buf`, bytes after it ignored: what
 * Polkadot's execute worker does with a PVF's output
 * (`ValidationResult::decode`, not `decode_all`), so a result followed by
 * anything is valid there and must be here. *consumed = its length (the
 * canonical encoding: SCALE compacts and options decode only in their
 * canonical form). */
int pvf_validation_result_decode_prefix(const uint8_t *buf, size_t len, pvf_validation_result *ret,
					size_t *consumed, pvf_error *err);
void pvf_validation_result_free(pvf_validation_result *r);

/* JSON rendering, byte fields as "0x..." lower-case hex:
 * {"head_data":"0x..","new_validation_code":null|"0x..",
 *  "upward_messages":["0x.."],"horizontal_messages":[{"recipient":N,"data":"0x.."}],
 *  "processed_downward_messages":N,"hrmp_watermark":N}
 * Returns a malloc'd NUL-terminated string, or NULL when out of memory. */
char *pvf_validation_result_to_json(const pvf_validation_result *r);

#endif
