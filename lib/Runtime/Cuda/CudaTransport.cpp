//===- CudaTransport.cpp - NCCL and host-staged MPI between GPUs ----------===//
//
// See CudaTransport.h. NCCL matches sends and receives by their order per
// pair of devices, not by tag; cleave-split-devices keeps one global order
// of transfers on every device, so the orders agree.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/CudaTransport.h"
#include "../StatusInternal.h"
#include "../WaitTimer.h"
#include "CudaContext.h"
#include "CudaDevice.h"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mpi.h>
#include <nccl.h>
#include <string>
#include <thread>
#include <vector>

namespace {

using cleave::runtime::WaitTimer;

using cleave::cuda::stream;

struct Transport {
  bool nccl = true;
  int rank = 0;
  // NCCL.
  ncclComm_t comm = nullptr;
  // The replicas of this device (data-parallel training): comm itself
  // when the job is replicas of one device.
  ncclComm_t replicaComm = nullptr;
  // The world rank of this replica's device 0: peers are devices.
  int replicaBase = 0;
  cudaStream_t commStream = nullptr;
  cudaEvent_t computeDone = nullptr, commDone = nullptr;
  double timeoutSeconds = 600;
  // Host-staged MPI: pinned buffers by the transfer's position in the run.
  std::vector<void *> pinned;
  std::vector<size_t> pinnedBytes;
  size_t nextBuffer = 0;
  // Host-staged receives posted and not yet waited for: their pinned
  // tensors, by peer and tag.
  struct PostedReceive {
    int32_t peer, tag;
    cleave_tensor host;
  };
  std::vector<PostedReceive> posted;
};

Transport &transport() {
  static Transport t;
  return t;
}

cleave_status ncclFailure(ncclResult_t r, const std::string &what) {
  return CLEAVE_ERROR(CLEAVE_INTERNAL,
                      what + ": NCCL: " + ncclGetErrorString(r) +
                          (ncclGetLastError(nullptr)
                               ? std::string(" (") +
                                     ncclGetLastError(nullptr) + ")"
                               : std::string()));
}

/// The comm stream waits for what the compute stream queued so far.
cleave_status afterCompute(Transport &t) {
  CLEAVE_CUDA_CHECK(cudaEventRecord(t.computeDone, stream()), "transfer");
  CLEAVE_CUDA_CHECK(cudaStreamWaitEvent(t.commStream, t.computeDone, 0),
                    "transfer");
  return nullptr;
}

/// The compute stream waits for what the comm stream queued so far.
cleave_status beforeCompute(Transport &t) {
  CLEAVE_CUDA_CHECK(cudaEventRecord(t.commDone, t.commStream), "transfer");
  CLEAVE_CUDA_CHECK(cudaStreamWaitEvent(stream(), t.commDone, 0), "transfer");
  return nullptr;
}

/// Waits for both streams, polling NCCL for asynchronous errors; an error
/// or the timeout aborts the communicator, which frees every waiting peer.
cleave_status ncclWait() {
  Transport &t = transport();
  WaitTimer timer;
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    cudaError_t comm = cudaStreamQuery(t.commStream),
                compute = cudaStreamQuery(stream());
    if (comm == cudaSuccess && compute == cudaSuccess)
      return nullptr;
    if (comm != cudaSuccess && comm != cudaErrorNotReady)
      return cleave::cuda::check(comm, "transfer", __FILE__, __LINE__);
    if (compute != cudaSuccess && compute != cudaErrorNotReady)
      return cleave::cuda::check(compute, "running the kernels", __FILE__,
                                 __LINE__);
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(t.comm, &async);
    double waited = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (async != ncclSuccess && async != ncclInProgress) {
      ncclCommAbort(t.comm);
      t.comm = nullptr;
      return ncclFailure(async, "device " + std::to_string(t.rank));
    }
    if (waited > t.timeoutSeconds) {
      ncclCommAbort(t.comm);
      t.comm = nullptr;
      return CLEAVE_ERROR(CLEAVE_INTERNAL,
                          "device " + std::to_string(t.rank) +
                              ": transfers did not finish in " +
                              std::to_string((int)t.timeoutSeconds) +
                              " s (CLEAVE_NCCL_TIMEOUT_S); aborted NCCL");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

/// The pinned staging buffer for the next transfer of `bytes`.
cleave_status stagingBuffer(size_t bytes, void **out) {
  Transport &t = transport();
  size_t i = t.nextBuffer++;
  if (i == t.pinned.size()) {
    t.pinned.push_back(nullptr);
    t.pinnedBytes.push_back(0);
  }
  if (t.pinnedBytes[i] < bytes) {
    cudaFreeHost(t.pinned[i]);
    t.pinned[i] = nullptr;
    CLEAVE_CUDA_CHECK(cudaMallocHost(&t.pinned[i], bytes), "staging buffer");
    t.pinnedBytes[i] = bytes;
  }
  *out = t.pinned[i];
  return nullptr;
}

/// The host-staged transport's synchronize: programs that move tensors stay
/// eager (a captured graph would not redo the MPI calls), and a device that
/// only receives reuses its staging buffers from the next run on.
cleave_status stagedWait() {
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(stream()), "staged receives");
  transport().nextBuffer = 0;
  return nullptr;
}

/// A host tensor over the next staging buffer, shaped as device tensor `t`.
cleave_status staged(const cleave_tensor &t, cleave_tensor *host) {
  *host = t;
  host->owns_data = 0;
  return stagingBuffer(cleave_tensor_num_bytes(&t), &host->data);
}

/// Runs `collective`, one of the MPI transport's, on pinned host copies of
/// device tensors: `in` is copied to the host first and `out` back to the
/// device after (`in` and `out` may be one tensor: one copy).
template <typename Collective>
cleave_status hostStaged(const cleave_tensor &in, cleave_tensor &out,
                         const char *what, Collective collective) {
  cleave_tensor hostIn, hostOut;
  CLEAVE_RETURN_IF_ERROR(staged(in, &hostIn));
  if (&in == &out)
    hostOut = hostIn;
  else
    CLEAVE_RETURN_IF_ERROR(staged(out, &hostOut));
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(hostIn.data, in.data,
                                    cleave_tensor_num_bytes(&in),
                                    cudaMemcpyDeviceToHost, stream()),
                    what);
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(stream()),
                    what);
  CLEAVE_RETURN_IF_ERROR(collective(&hostIn, &hostOut));
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(out.data, hostOut.data,
                                    cleave_tensor_num_bytes(&out),
                                    cudaMemcpyHostToDevice, stream()),
                    what);
  return nullptr;
}

cleave_status setUpNccl(Transport &t, int size, int32_t device,
                        int32_t replicas) {
  ncclUniqueId id;
  if (t.rank == 0)
    if (ncclResult_t r = ncclGetUniqueId(&id); r != ncclSuccess)
      return ncclFailure(r, "creating the NCCL id");
  int rc = MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "sharing the NCCL id over MPI "
                                         "failed (MPI error " +
                                             std::to_string(rc) + ")");
  if (ncclResult_t r = ncclCommInitRank(&t.comm, size, id, t.rank);
      r != ncclSuccess)
    return ncclFailure(r, "joining the NCCL communicator");
  t.replicaComm = t.comm;
  if (replicas > 1 && replicas < size)
    if (ncclResult_t r = ncclCommSplit(t.comm, device, t.rank,
                                       &t.replicaComm, nullptr);
        r != ncclSuccess)
      return ncclFailure(r, "splitting the replicas' NCCL communicator");
  CLEAVE_CUDA_CHECK(
      cudaStreamCreateWithFlags(&t.commStream, cudaStreamNonBlocking),
      "communication stream");
  CLEAVE_CUDA_CHECK(
      cudaEventCreateWithFlags(&t.computeDone, cudaEventDisableTiming),
      "transfer event");
  CLEAVE_CUDA_CHECK(
      cudaEventCreateWithFlags(&t.commDone, cudaEventDisableTiming),
      "transfer event");
  if (const char *timeout = std::getenv("CLEAVE_NCCL_TIMEOUT_S"))
    t.timeoutSeconds = std::atof(timeout);
  cleave::cuda::syncHook = ncclWait;
  return nullptr;
}

} // namespace

extern "C" {

cleave_status cleave_cuda_transport_send(const cleave_tensor *x, int32_t peer,
                                         int32_t tag) {
  Transport &t = transport();
  size_t bytes = cleave_tensor_num_bytes(x);
  if (t.nccl) {
    CLEAVE_RETURN_IF_ERROR(afterCompute(t));
    if (ncclResult_t r = ncclSend(x->data, bytes, ncclUint8,
                                  t.replicaBase + peer, t.comm, t.commStream);
        r != ncclSuccess)
      return ncclFailure(r, "send to device " + std::to_string(peer));
    return nullptr;
  }
  // Host-staged: the MPI transport sends a pinned copy.
  cleave_tensor host;
  CLEAVE_RETURN_IF_ERROR(staged(*x, &host));
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(host.data, x->data, bytes,
                                    cudaMemcpyDeviceToHost, stream()),
                    "staging a send");
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(stream()), "staging a send");
  return cleave_transport_send(&host, peer, tag);
}

cleave_status cleave_cuda_transport_recv(cleave_tensor *y, int32_t peer,
                                         int32_t tag) {
  Transport &t = transport();
  size_t bytes = cleave_tensor_num_bytes(y);
  if (t.nccl) {
    // The buffer may still be read by the previous microbatch's kernels.
    CLEAVE_RETURN_IF_ERROR(afterCompute(t));
    if (ncclResult_t r = ncclRecv(y->data, bytes, ncclUint8,
                                  t.replicaBase + peer, t.comm, t.commStream);
        r != ncclSuccess)
      return ncclFailure(r, "receive from device " + std::to_string(peer));
    return beforeCompute(t);
  }
  cleave_tensor host;
  CLEAVE_RETURN_IF_ERROR(staged(*y, &host));
  CLEAVE_RETURN_IF_ERROR(cleave_transport_recv(&host, peer, tag));
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(y->data, host.data, bytes,
                                    cudaMemcpyHostToDevice, stream()),
                    "staging a receive");
  return nullptr;
}

// NCCL matches sends and receives by their order on a stream: a receive
// queued early could wait ahead of a send its peer needs first, so NCCL
// receives at the wait. Host-staged, MPI posts the receive into a pinned
// buffer here.
cleave_status cleave_cuda_transport_recv_start(cleave_tensor *y, int32_t peer,
                                               int32_t tag) {
  Transport &t = transport();
  if (t.nccl)
    return nullptr;
  cleave_tensor host;
  CLEAVE_RETURN_IF_ERROR(staged(*y, &host));
  CLEAVE_RETURN_IF_ERROR(cleave_transport_recv_start(&host, peer, tag));
  t.posted.push_back({peer, tag, host});
  return nullptr;
}

cleave_status cleave_cuda_transport_recv_wait(cleave_tensor *y, int32_t peer,
                                              int32_t tag) {
  Transport &t = transport();
  if (t.nccl)
    return cleave_cuda_transport_recv(y, peer, tag);
  auto it = std::find_if(t.posted.begin(), t.posted.end(),
                         [&](const Transport::PostedReceive &r) {
                           return r.peer == peer && r.tag == tag;
                         });
  if (it == t.posted.end())
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "no receive from device " + std::to_string(peer) +
                            " with tag " + std::to_string(tag) + " was posted");
  cleave_tensor host = it->host;
  t.posted.erase(it);
  CLEAVE_RETURN_IF_ERROR(cleave_transport_recv_wait(&host, peer, tag));
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(y->data, host.data,
                                    cleave_tensor_num_bytes(y),
                                    cudaMemcpyHostToDevice, stream()),
                    "staging a receive");
  return nullptr;
}

cleave_status cleave_cuda_transport_all_reduce_start(cleave_tensor *x) {
  Transport &t = transport();
  if (x->dtype != CLEAVE_DTYPE_F32)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "all-reduce: only f32 so far");
  size_t count = (size_t)cleave_tensor_num_elements(x);
  if (t.nccl) {
    CLEAVE_RETURN_IF_ERROR(afterCompute(t));
    if (ncclResult_t r = ncclAllReduce(x->data, x->data, count, ncclFloat,
                                       ncclSum, t.replicaComm, t.commStream);
        r != ncclSuccess)
      return ncclFailure(r, "all-reduce");
    return nullptr;
  }
  // Host-staged: the sum over MPI of a pinned copy, copied back.
  return hostStaged(*x, *x, "staging an all-reduce",
                    [](const cleave_tensor *in, cleave_tensor *) {
                      CLEAVE_RETURN_IF_ERROR(cleave_transport_all_reduce_start(
                          const_cast<cleave_tensor *>(in)));
                      return cleave_transport_all_reduce_wait();
                    });
}

cleave_status cleave_cuda_transport_all_reduce_wait(void) {
  Transport &t = transport();
  return t.nccl ? beforeCompute(t) : nullptr;
}

cleave_status cleave_cuda_transport_all_gather(const cleave_tensor *x,
                                               cleave_tensor *y) {
  Transport &t = transport();
  if (!t.nccl)
    return hostStaged(*x, *y, "staging an all-gather",
                      cleave_transport_all_gather);
  int replicas = 1;
  ncclCommCount(t.replicaComm, &replicas);
  size_t bytes = cleave_tensor_num_bytes(x);
  if (cleave_tensor_num_bytes(y) != bytes * replicas)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "all-gather: the output must hold " +
                            std::to_string(replicas) + " inputs");
  CLEAVE_RETURN_IF_ERROR(afterCompute(t));
  if (ncclResult_t r = ncclAllGather(x->data, y->data, bytes, ncclUint8,
                                     t.replicaComm, t.commStream);
      r != ncclSuccess)
    return ncclFailure(r, "all-gather");
  return beforeCompute(t);
}

cleave_status cleave_cuda_transport_reduce_scatter(const cleave_tensor *x,
                                                   cleave_tensor *y) {
  Transport &t = transport();
  if (x->dtype != CLEAVE_DTYPE_F32 || y->dtype != CLEAVE_DTYPE_F32)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "reduce-scatter: only f32 so far");
  if (!t.nccl)
    return hostStaged(*x, *y, "staging a reduce-scatter",
                      cleave_transport_reduce_scatter);
  int replicas = 1;
  ncclCommCount(t.replicaComm, &replicas);
  size_t count = (size_t)cleave_tensor_num_elements(y);
  if ((size_t)cleave_tensor_num_elements(x) != count * replicas)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "reduce-scatter: the input must hold " +
                            std::to_string(replicas) + " outputs");
  CLEAVE_RETURN_IF_ERROR(afterCompute(t));
  if (ncclResult_t r = ncclReduceScatter(x->data, y->data, count, ncclFloat,
                                         ncclSum, t.replicaComm, t.commStream);
      r != ncclSuccess)
    return ncclFailure(r, "reduce-scatter");
  return beforeCompute(t);
}

cleave_status cleave_cuda_transport_broadcast(cleave_tensor *x, int32_t root) {
  Transport &t = transport();
  if (!t.nccl)
    return hostStaged(*x, *x, "staging a broadcast",
                      [root](const cleave_tensor *in, cleave_tensor *) {
                        return cleave_transport_broadcast(
                            const_cast<cleave_tensor *>(in), root);
                      });
  CLEAVE_RETURN_IF_ERROR(afterCompute(t));
  if (ncclResult_t r = ncclBroadcast(x->data, x->data,
                                     cleave_tensor_num_bytes(x), ncclUint8,
                                     root, t.replicaComm, t.commStream);
      r != ncclSuccess)
    return ncclFailure(r, "broadcast from replica " + std::to_string(root));
  return beforeCompute(t);
}

cleave_status cleave_cuda_transport_send_done(int32_t peer, int32_t tag) {
  Transport &t = transport();
  if (t.nccl) // Kernels after this wait for the sends queued so far.
    return beforeCompute(t);
  // Host-staged: the device buffer was copied out before the send began.
  return cleave_transport_send_done(peer, tag);
}

cleave_status cleave_cuda_transport_wait_sends(void) {
  Transport &t = transport();
  if (t.nccl) // The next run's kernels wait for this run's sends.
    return beforeCompute(t);
  CLEAVE_RETURN_IF_ERROR(cleave_transport_wait_sends());
  // Staged receives are copied from the pinned buffers by then.
  return stagedWait();
}

} // extern "C"

int cleave_cuda_transport_device_main(int argc, char **argv,
                                      const cleave_program &program,
                                      int32_t device,
                                      cleave_precision precision) {
  int size = cleave_transport_join(&argc, &argv, program, device);
  Transport &t = transport();
  // Replica r's device k is rank r * devices + k (the MPI transport checked).
  int devices = size / (program.replicas > 1 ? program.replicas : 1);
  t.rank = cleave_runtime_replica() * devices + device;
  t.replicaBase = cleave_runtime_replica() * devices;
  auto abortAll = [&](int rc) {
    if (t.replicaComm && t.replicaComm != t.comm)
      ncclCommAbort(t.replicaComm);
    if (t.comm)
      ncclCommAbort(t.comm);
    cleave_transport_abort(program, device, rc);
  };
  const char *kind = std::getenv("CLEAVE_TRANSPORT");
  t.nccl = !kind || std::strcmp(kind, "mpi") != 0;
  if (kind && t.nccl && std::strcmp(kind, "nccl") != 0) {
    std::fprintf(stderr, "%s: error: CLEAVE_TRANSPORT is '%s'; expected nccl "
                         "or mpi\n", program.name, kind);
    abortAll(1);
  }
  int32_t gpu = cleave::cuda::deviceFor(t.rank);
  cleave_status s = cleave_cuda_init(gpu, precision);
  if (!s && t.nccl)
    s = setUpNccl(t, size, device, program.replicas);
  else if (!s)
    cleave::cuda::syncHook = stagedWait;
  if (s) {
    std::fprintf(stderr, "%s: error: %s\n", program.name,
                 cleave_status_message(s));
    cleave_status_free(s);
    abortAll(1);
  }
  if (int rc = cleave::cuda::runOnGpu(argc, argv, program, gpu, precision))
    abortAll(rc);
  if (t.replicaComm && t.replicaComm != t.comm)
    ncclCommDestroy(t.replicaComm);
  if (t.comm)
    ncclCommDestroy(t.comm);
  MPI_Finalize();
  return 0;
}
