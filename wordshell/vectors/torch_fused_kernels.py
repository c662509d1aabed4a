"""The Triton kernels of torch_fused.py (module level: Triton resolves jit helpers by global name).

Nothing is defined where Triton is not installed; torch_fused.available() says whether it is.
"""

try:
    import triton
    import triton.language as tl
except ImportError:  # no Triton (CPU machines): the torch engine uses its batched torch ops
    triton = None

if triton is not None:
    @triton.jit
    def _logsigmoid(x):
        return tl.minimum(x, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(x)))

    @triton.jit
    def _input_row(w_in, ngrams, sub_ptr, sub_idx, word, d, m, D, SUBWORD: tl.constexpr, MAXN: tl.constexpr):
        """Sum of a word's input rows, and how many rows (fastText: own + n-grams; MAXN >= any word's count,
        a fixed trip count with masks, which Triton's interpreter runs too)."""
        h = tl.load(w_in + word * D + d, mask=m, other=0.0, cache_modifier=".cg")
        n = tl.cast(1.0, tl.float32)                # a tensor from the start: it is carried through branches
        if SUBWORD:
            start = tl.load(sub_ptr + word)
            count = tl.load(sub_ptr + word + 1) - start
            for j in range(MAXN):
                valid = j < count
                b = tl.load(sub_idx + start + j, mask=valid, other=0)
                h += tl.load(ngrams + b * D + d, mask=m & valid, other=0.0, cache_modifier=".cg")
            n += count.to(tl.float32)
        return h, n

    @triton.jit
    def _add_input(w_in, ngrams, sub_ptr, sub_idx, word, d, m, D, err, SUBWORD: tl.constexpr,
                   MAXN: tl.constexpr):
        tl.atomic_add(w_in + word * D + d, err, mask=m)
        if SUBWORD:
            start = tl.load(sub_ptr + word)
            count = tl.load(sub_ptr + word + 1) - start
            for j in range(MAXN):
                valid = j < count
                b = tl.load(sub_idx + start + j, mask=valid, other=0)
                tl.atomic_add(ngrams + b * D + d, err, mask=m & valid)

    @triton.jit
    def _output(w_out, h, target, noise, p, d, m, D, alpha, K: tl.constexpr, BLOCK: tl.constexpr):
        """word2vec.c's negative-sampling loop for one example: (neu1e, loss); W_out updated."""
        neu1e = tl.zeros([BLOCK], dtype=tl.float32)
        w = tl.load(w_out + target * D + d, mask=m, other=0.0, cache_modifier=".cg")
        f = tl.sum(h * w, axis=0)
        g = (1.0 - tl.sigmoid(f)) * alpha
        neu1e += g * w
        tl.atomic_add(w_out + target * D + d, g * h, mask=m)
        loss = -_logsigmoid(f)
        for k in tl.static_range(K):
            r = tl.load(noise + p * K + k).to(tl.int64)
            real = (r != target).to(tl.float32)            # a noise word equal to the target is skipped
            w = tl.load(w_out + r * D + d, mask=m, other=0.0, cache_modifier=".cg")
            f = tl.sum(h * w, axis=0)
            g = -tl.sigmoid(f) * alpha * real
            neu1e += g * w
            tl.atomic_add(w_out + r * D + d, g * h, mask=m)
            loss += -_logsigmoid(-f) * real
        return neu1e, loss

    @triton.jit
    def sg_kernel(w_in, w_out, ngrams, sub_ptr, sub_idx, inputs, targets, noise, loss_out, alpha, D,
                  K: tl.constexpr, BLOCK: tl.constexpr, SUBWORD: tl.constexpr, MAXN: tl.constexpr):
        p = tl.program_id(0)
        d = tl.arange(0, BLOCK)
        m = d < D
        word = tl.load(inputs + p).to(tl.int64)
        target = tl.load(targets + p).to(tl.int64)
        h, n = _input_row(w_in, ngrams, sub_ptr, sub_idx, word, d, m, D, SUBWORD, MAXN)
        h = h / n
        neu1e, loss = _output(w_out, h, target, noise, p, d, m, D, alpha, K, BLOCK)
        _add_input(w_in, ngrams, sub_ptr, sub_idx, word, d, m, D, neu1e, SUBWORD, MAXN)
        tl.store(loss_out + p, loss)

    @triton.jit
    def cbow_kernel(w_in, w_out, ngrams, sub_ptr, sub_idx, ctx, mask, centers, noise, loss_out, alpha, D,
                    K: tl.constexpr, C: tl.constexpr, BLOCK: tl.constexpr, SUBWORD: tl.constexpr,
                    MAXN: tl.constexpr):
        p = tl.program_id(0)
        d = tl.arange(0, BLOCK)
        m = d < D
        h = tl.zeros([BLOCK], dtype=tl.float32)
        rows = tl.cast(0.0, tl.float32)
        for c in tl.static_range(C):
            if tl.load(mask + p * C + c) != 0:
                word = tl.load(ctx + p * C + c).to(tl.int64)
                s, n = _input_row(w_in, ngrams, sub_ptr, sub_idx, word, d, m, D, SUBWORD, MAXN)
                h += s
                rows += n
        h = h / rows
        target = tl.load(centers + p).to(tl.int64)
        neu1e, loss = _output(w_out, h, target, noise, p, d, m, D, alpha, K, BLOCK)
        for c in tl.static_range(C):
            if tl.load(mask + p * C + c) != 0:
                word = tl.load(ctx + p * C + c).to(tl.int64)
                _add_input(w_in, ngrams, sub_ptr, sub_idx, word, d, m, D, neu1e, SUBWORD, MAXN)
        tl.store(loss_out + p, loss)
