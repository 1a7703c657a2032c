"""Autocast op policies, as data: torchjax op name -> policy, per device kind.

Policies (torch's at::autocast::CastPolicy):
  LOWER   lower_precision_fp: eligible tensor args cast to the autocast dtype
  FP32    eligible tensor args cast to float32
  SET_OPT fp32_set_opt_dtype: dtype=float32 when the op's dtype arg is None and its first arg is
          eligible (inputs are not cast)
  PROMOTE eligible args cast to promote_types(autocast dtype, each eligible arg's dtype)
  BANNED  raises (binary_cross_entropy under CUDA autocast)
A value may be a function f(statics dict, tensor args) returning one of these (or None).

CUDA: torch's AT_FORALL_LOWER_PRECISION_FP / AT_FORALL_FP32 / AT_FORALL_FP32_SET_OPT_DTYPE /
AT_FORALL_PROMOTE lists (ATen/autocast_mode.h), each aten name mapped to the torchjax op that
implements it (F.linear -> _linear, conv* -> convolution, matmul -> _matmul, sdpa -> _sdpa, ...).
Public functions torch decomposes into listed ops are given the policy their result shows
(cross_entropy = log_softmax(set_opt) + nll_loss(fp32) -> FP32; MultiheadAttention -> LOWER).

CPU: not in the header. Derived empirically from real torch 2.13: for each OpInfo in
torch.testing._internal.common_methods_invocations.op_db (first two float32 samples) the op ran
under torch.autocast('cpu') on float32 inputs (bfloat16 output -> LOWER), on bfloat16 inputs
(float32/complex64 output where plain bfloat16 gives otherwise -> FP32) and on mixed bfloat16/
float32 inputs (float32 only under autocast -> PROMOTE); plus nn.LSTM/GRU/RNN, the RNN cells,
MultiheadAttention, layer_norm, softmax, cross_entropy run directly (LSTM and RNN stacks and
RNNCell give bfloat16, GRU, GRUCell and LSTMCell float32, layer_norm/softmax/sum keep the input
dtype). No CPU op has the SET_OPT policy.
"""
import math

LOWER, FP32, SET_OPT, PROMOTE, BANNED = "lower_precision_fp", "fp32", "fp32_set_opt_dtype", \
    "promote", "banned"


def _table(**groups):
    return {name: pol for pol, names in groups.items() for name in names.split()}


def _pad(s, t):  # reflect/replicate padding runs in float32 on CPU; constant/circular has no policy
    return FP32 if s["mode"] in ("reflect", "replicate") else None


def _rnn_cpu(s, t):  # mkldnn_rnn_layer (LSTM) and the per-step linear of RNN_TANH/RELU run in bf16
    return None if s["mode"] == "GRU" else LOWER


def _einsum_cpu(s, t):
    """einsum runs its pairwise contractions through bmm (LOWER on CPU); an equation that sums
    no index shared by two operands (transposes, outer/elementwise products) runs in mul/sum."""
    lhs, _, out = s["equation"].replace(" ", "").partition("->")
    ops = lhs.split(",")
    if len(ops) < 2:
        return None
    letters = [set(o.replace(".", "")) for o in ops]
    if "->" not in s["equation"]:
        out = "".join(c for c in set().union(*letters) if sum(c in o for o in letters) == 1)
    shared = {c for c in set().union(*letters) if sum(c in o for o in letters) > 1}
    return LOWER if shared - set(out) else None



def _max_pool3d_cpu(s, t):  # max_pool3d is FP32; max_pool3d_with_indices has no policy
    return None if s["indices"] else FP32


def _matrix_power_cpu(s, t):  # n = 0, 1 (a copy) and n < 0 (an inverse first) use no matmul
    return LOWER if s["n"] >= 2 else None


def _tensordot_cpu(s, t):  # a one-element result is not computed by mm (no CPU policy)
    def rest(x, dims):
        dims = {d % max(x.dim(), 1) for d in dims}
        return math.prod(n for i, n in enumerate(x.shape) if i not in dims)
    return None if rest(t[0], s["dims_a"]) == 1 == rest(t[1], s["dims_b"]) else LOWER


CUDA = _table(
    lower_precision_fp="convolution conv_tbc prelu addmm addmv addr _matmul _einsum mm mv "
                       "vecdot _linear addbmm baddbmm bmm _multi_dot _lstm_cell gru_cell "
                       "rnn_tanh_cell rnn_relu_cell _sdpa _mha _rnn_stack _cov _corrcoef",
    fp32="acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan pow "
         "softplus layer_norm native_layer_norm rms_norm group_norm "
         "cosine_similarity poisson_nll_loss cosine_embedding_loss nll_loss_nd "
         "hinge_embedding_loss kl_div l1_loss smooth_l1_loss huber_loss mse_loss "
         "margin_ranking_loss multilabel_margin_loss soft_margin_loss triplet_margin_loss "
         "multi_margin_loss binary_cross_entropy_with_logits dist pdist _cdist logsumexp "
         "_upsample _upsample_aa cross_entropy_loss cross_entropy_prob",
    fp32_set_opt_dtype="prod softmax log_softmax cumprod cumsum vector_norm matrix_norm sum",
    promote="addcdiv addcmul atan2 _bilinear linalg_cross dot vdot grid_sampler_2d "
            "grid_sampler_3d _index_put_impl _tensordot",
    banned="binary_cross_entropy",
)

CPU = _table(
    lower_precision_fp="convolution conv_tbc prelu addmm addbmm baddbmm bmm mm _matmul "
                       "vecdot _linear _multi_dot _sdpa _mha _cov _corrcoef "
                       "rnn_tanh_cell rnn_relu_cell",
    fp32="_avg_pool3d _adaptive_avg_pool3d _adaptive_max_pool3d "
         "_fractional_max_pool2d _fractional_max_pool3d _max_unpool2d "
         "_max_unpool3d binary_cross_entropy binary_cross_entropy_with_logits grid_sampler_2d "
         "grid_sampler_3d polar prod _cdist trace view_as_complex mse_loss "
         "cosine_embedding_loss nll_loss_nd hinge_embedding_loss poisson_nll_loss smooth_l1_loss "
         "cross_entropy_loss cross_entropy_prob l1_loss huber_loss margin_ranking_loss "
         "soft_margin_loss triplet_margin_loss multi_margin_loss ctc_loss kl_div "
         "multilabel_margin_loss _cholesky_ex cholesky_inverse cholesky_solve triangular_solve "
         "linalg_inv_ex linalg_qr linalg_svd svdvals linalg_eig eigvals linalg_eigh eigvalsh "
         "linalg_lstsq linalg_solve_ex _linalg_cond fft fft2 fftn ifft ifft2 ifftn rfft rfft2 "
         "rfftn irfft irfft2 irfftn hfft hfft2 hfftn ihfft _ihfftn",
)
# torch's CPU PROMOTE list (index_copy, cat, stack) needs no entry: cat/stack promote already, and
# index_copy's dtype check runs in its composite before dispatch (a known gap).
CPU["_pad_nd"] = _pad
CPU["_rnn_stack"] = _rnn_cpu
CPU["_einsum"] = _einsum_cpu
CPU["_max_pool3d"] = _max_pool3d_cpu
CPU["_matrix_power"] = _matrix_power_cpu
CPU["_tensordot"] = _tensordot_cpu
