/* The torch engine's skip-gram examples applied one at a time, as word2vec.c's and fastText's loops do
   (bench/one_by_one.py). Per example: an input representation h, a target with label 1 and K noise
   words with label 0 (a noise word equal to the target skipped), the exact sigmoid;
   W_out[t] += g h with g = (label - sigmoid(h . W_out[t])) alpha, and the summed error
   neu1e = sum g W_out[t] (W_out before its update) added to every input row after the example. */
#include <math.h>
#include <stdint.h>

static double negatives(const float *h, float *wout, int D, int64_t target, const int64_t *noise, int K,
                        float alpha, float *neu1e) {
  double loss = 0;
  for (int d = 0; d < D; d++) neu1e[d] = 0;
  for (int k = 0; k <= K; k++) {
    int64_t t = k == 0 ? target : noise[k - 1];
    if (k > 0 && t == target) continue;
    float *w = wout + t * D;
    float f = 0;
    for (int d = 0; d < D; d++) f += h[d] * w[d];
    float s = 1.f / (1.f + expf(-f));
    loss -= k == 0 ? log(s) : log(1 - s);
    float g = ((k == 0 ? 1.f : 0.f) - s) * alpha;
    for (int d = 0; d < D; d++) neu1e[d] += g * w[d];
    for (int d = 0; d < D; d++) w[d] += g * h[d];
  }
  return loss;
}

/* word2vec: h = W_in[input] (the context word, word2vec.c's order) */
double sg_word2vec(float *win, float *wout, int D, long P, const int64_t *inp, const int64_t *tgt,
                   const int64_t *noise, int K, float alpha) {
  float neu1e[4096];
  double loss = 0;
  if (D > 4096) return NAN;
  for (long p = 0; p < P; p++) {
    float *h = win + inp[p] * D;
    loss += negatives(h, wout, D, tgt[p], noise + p * K, K, alpha, neu1e);
    for (int d = 0; d < D; d++) h[d] += neu1e[d];
  }
  return loss;
}

/* fastText: h = mean of the input word's own row and its n-gram rows idx[ptr[x]:ptr[x+1]] */
double sg_fasttext(float *win, float *ngr, float *wout, int D, long P, const int64_t *inp, const int64_t *tgt,
                   const int64_t *noise, int K, float alpha, const int64_t *ptr, const int64_t *idx) {
  float neu1e[4096], h[4096];
  double loss = 0;
  if (D > 4096) return NAN;
  for (long p = 0; p < P; p++) {
    int64_t x = inp[p], a = ptr[x], b = ptr[x + 1];
    float *own = win + x * D;
    for (int d = 0; d < D; d++) h[d] = own[d];
    for (int64_t q = a; q < b; q++) {
      const float *r = ngr + idx[q] * D;
      for (int d = 0; d < D; d++) h[d] += r[d];
    }
    float n = (float)(b - a + 1);
    for (int d = 0; d < D; d++) h[d] /= n;
    loss += negatives(h, wout, D, tgt[p], noise + p * K, K, alpha, neu1e);
    for (int d = 0; d < D; d++) own[d] += neu1e[d];
    for (int64_t q = a; q < b; q++) {
      float *r = ngr + idx[q] * D;
      for (int d = 0; d < D; d++) r[d] += neu1e[d];
    }
  }
  return loss;
}
