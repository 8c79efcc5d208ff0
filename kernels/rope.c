/*
 * rope.c - rotary embedding frequencies from a model's config (the host
 * half of elementwise.h; plain C, built with or without CUDA).
 *
 * Scaling follows Hugging Face transformers' rope initialisation:
 * "linear" divides every frequency by the factor; "llama3" (Llama-3.1)
 * keeps the high frequencies (wavelength < orig / high_freq_factor),
 * divides the low ones (wavelength > orig / low_freq_factor) by the factor
 * and interpolates smoothly between. Llama-3.1's attention scaling for
 * llama3 is 1, so no cos/sin multiplier is needed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "elementwise.h"

#include "banned.h"

int kern_rope_init(struct kern_rope *r, uint32_t head_dim, double theta,
		   const struct kern_rope_scaling *sc, struct ss_err *err)
{
	const char *type = sc ? sc->type : "";
	uint32_t half = head_dim / 2;

	memset(r, 0, sizeof *r);
	if (!head_dim || head_dim % 2 || half > KERN_ROPE_MAX_PAIRS)
		return ss_error(err, SS_EINVAL,
				"rope: field 'head_dim' is %u; must be even "
				"and at most %u",
				head_dim, 2 * KERN_ROPE_MAX_PAIRS);
	if (!(theta > 1) || !isfinite(theta))
		return ss_error(err, SS_EINVAL,
				"rope: field 'rope_theta' is %g; must be > 1",
				theta);
	if (sc && strcmp(type, "") && strcmp(type, "default") &&
	    strcmp(type, "linear") && strcmp(type, "llama3"))
		return ss_error(err, SS_EINVAL,
				"rope: field 'rope_scaling.rope_type': '%s' "
				"is not one of default, linear, llama3",
				type);
	if (sc && (!strcmp(type, "linear") || !strcmp(type, "llama3")) &&
	    !(sc->factor > 0))
		return ss_error(err, SS_EINVAL,
				"rope: field 'rope_scaling.factor' is %g; "
				"must be > 0",
				sc->factor);
	if (sc && !strcmp(type, "llama3") &&
	    (!(sc->low_freq_factor > 0) ||
	     !(sc->high_freq_factor > sc->low_freq_factor) ||
	     !(sc->orig_max_positions > 0)))
		return ss_error(err, SS_EINVAL,
				"rope: llama3 scaling needs 0 < "
				"'low_freq_factor' (%g) < 'high_freq_factor' "
				"(%g) and 'original_max_position_embeddings' "
				"> 0 (%g)",
				sc->low_freq_factor, sc->high_freq_factor,
				sc->orig_max_positions);
	r->head_dim = head_dim;
	for (uint32_t i = 0; i < half; i++) {
		/* HF computes the exponent and the power in fp32 */
		float expo = (float)(2 * i) / (float)head_dim;
		double f = 1.0 / (double)powf((float)theta, expo);

		if (sc && !strcmp(type, "linear")) {
			f /= sc->factor;
		} else if (sc && !strcmp(type, "llama3")) {
			double wl = 2 * M_PI / f;
			double lo_wl = sc->orig_max_positions /
				       sc->low_freq_factor;
			double hi_wl = sc->orig_max_positions /
				       sc->high_freq_factor;
			if (wl > lo_wl) {
				f /= sc->factor;
			} else if (wl >= hi_wl) {
				double s = (sc->orig_max_positions / wl -
					    sc->low_freq_factor) /
					   (sc->high_freq_factor -
					    sc->low_freq_factor);
				f = (1 - s) * f / sc->factor + s * f;
			}
		}
		r->inv_freq[i] = (float)f;
	}
	return 0;
}
