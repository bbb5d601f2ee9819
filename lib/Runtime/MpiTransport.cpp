//===- MpiTransport.cpp - tensors between device processes over MPI ------===//

#include "StatusInternal.h"
#include "WaitTimer.h"
#include "cleave/Runtime/Program.h"
#include "cleave/Runtime/Transport.h"
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mpi.h>
#include <optional>
#include <string>
#include <vector>

namespace {

using cleave::runtime::WaitTimer;

/// A transfer started and not yet waited for.
struct Pending {
  int32_t peer, tag;
  MPI_Request request;
};
/// Sends started in this run, and receives posted
/// (cleave_transport_recv_start), not yet waited for.
std::vector<Pending> &pendingSends() {
  static std::vector<Pending> sends;
  return sends;
}
std::vector<Pending> &pendingRecvs() {
  static std::vector<Pending> receives;
  return receives;
}

/// Removes the transfer with `peer` and `tag` from `pending`: its request,
/// or none when no such transfer is pending.
std::optional<MPI_Request> takePending(std::vector<Pending> &pending,
                                       int32_t peer, int32_t tag) {
  auto it = std::find_if(pending.begin(), pending.end(), [&](const Pending &p) {
    return p.peer == peer && p.tag == tag;
  });
  if (it == pending.end())
    return std::nullopt;
  MPI_Request request = it->request;
  pending.erase(it);
  return request;
}

std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, length);
}

/// Waits for (and forgets) `requests`, timed as waiting for other devices.
cleave_status waitAll(std::vector<MPI_Request> &requests, const char *what) {
  if (requests.empty())
    return nullptr;
  WaitTimer timer;
  int rc = MPI_Waitall((int)requests.size(), requests.data(),
                       MPI_STATUSES_IGNORE);
  requests.clear();
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        std::string("waiting for ") + what + ": " +
                            mpiError(rc));
  return nullptr;
}

/// The replicas of this process's device (MPI_COMM_WORLD without
/// replicas).
MPI_Comm replicaComm = MPI_COMM_WORLD;
/// The devices of this process's replica, ranked by device: where sends
/// and receives go (MPI_COMM_WORLD without replicas).
MPI_Comm pipelineComm = MPI_COMM_WORLD;

/// Nanoseconds to add to this process's steady clock to read rank 0's,
/// and the most that can be off by. Processes on rank 0's host share its
/// clock (CLOCK_MONOTONIC is the host's): 0, exactly. Others ping rank 0 a
/// few times and keep the round trip with the least delay, taking rank 0's
/// clock at its middle (Cristian's method: off by at most half of it).
int64_t clockOffset(int64_t *uncertaintyNs) {
  using cleave::runtime::WaitTimer;
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  char host[MPI_MAX_PROCESSOR_NAME] = {}, reference[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(host, &length);
  std::memcpy(reference, host, sizeof host);
  MPI_Bcast(reference, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, comm);
  constexpr int kRounds = 8;
  int64_t offset = 0, best = INT64_MAX;
  for (int peer = 1; peer < size; ++peer)
    for (int round = 0; round < kRounds; ++round) {
      int64_t time = 0;
      if (rank == 0) {
        MPI_Recv(&time, 1, MPI_INT64_T, peer, 0, comm, MPI_STATUS_IGNORE);
        time = WaitTimer::now();
        MPI_Send(&time, 1, MPI_INT64_T, peer, 0, comm);
      } else if (rank == peer) {
        int64_t sent = WaitTimer::now();
        MPI_Send(&sent, 1, MPI_INT64_T, 0, 0, comm);
        MPI_Recv(&time, 1, MPI_INT64_T, 0, 0, comm, MPI_STATUS_IGNORE);
        int64_t received = WaitTimer::now();
        if (received - sent < best) {
          best = received - sent;
          offset = time - (sent + received) / 2;
        }
      }
    }
  MPI_Comm_free(&comm);
  if (rank == 0 || std::strcmp(host, reference) == 0) {
    *uncertaintyNs = 0;
    return 0;
  }
  *uncertaintyNs = (best + 1) / 2;
  return offset;
}

} // namespace

extern "C" {

// The sum runs to completion where it starts. OpenMPI advances a
// nonblocking collective only inside MPI calls, so MPI_Iallreduce overlapped
// nothing with the kernels of a one-thread replica, and its schedule (libnbc,
// with a temporary buffer per call) cost more than the blocking algorithm:
// GPT-2 with --dp=2 took 23.8 ms a step that way and 20.2 ms this way.
cleave_status cleave_transport_all_reduce_start(cleave_tensor *t) {
  if (t->dtype != CLEAVE_DTYPE_F32)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, std::string("all-reduce of ") +
                                                cleave_dtype_name(t->dtype) +
                                                ": only f32 so far");
  WaitTimer timer;
  int rc = MPI_Allreduce(MPI_IN_PLACE, t->data,
                         (int)cleave_tensor_num_elements(t), MPI_FLOAT,
                         MPI_SUM, replicaComm);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "all-reduce: " + mpiError(rc));
  return nullptr;
}

cleave_status cleave_transport_all_reduce_wait(void) { return nullptr; }

cleave_status cleave_transport_all_gather(const cleave_tensor *input,
                                          cleave_tensor *output) {
  int replicas = 1;
  MPI_Comm_size(replicaComm, &replicas);
  int64_t bytes = cleave_tensor_num_bytes(input);
  if (output->dtype != input->dtype ||
      cleave_tensor_num_bytes(output) != bytes * replicas)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "all-gather: the output must hold " +
                            std::to_string(replicas) + " inputs");
  WaitTimer timer;
  int rc = MPI_Allgather(input->data, (int)bytes, MPI_BYTE, output->data,
                         (int)bytes, MPI_BYTE, replicaComm);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "all-gather: " + mpiError(rc));
  return nullptr;
}

cleave_status cleave_transport_reduce_scatter(const cleave_tensor *input,
                                              cleave_tensor *output) {
  int replicas = 1;
  MPI_Comm_size(replicaComm, &replicas);
  int64_t count = cleave_tensor_num_elements(output);
  if (input->dtype != CLEAVE_DTYPE_F32 || output->dtype != CLEAVE_DTYPE_F32)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "reduce-scatter: only f32 so far");
  if (cleave_tensor_num_elements(input) != count * replicas)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "reduce-scatter: the input must hold " +
                            std::to_string(replicas) + " outputs");
  // MPI_Reduce_scatter with equal counts, not MPI_Reduce_scatter_block:
  // Open MPI 4.1 runs the latter as a reduce then a scatter (5.3 MB over
  // two ranks: 2.7 ms against 0.47 ms).
  std::vector<int> counts(replicas, (int)count);
  WaitTimer timer;
  int rc = MPI_Reduce_scatter(input->data, output->data, counts.data(),
                              MPI_FLOAT, MPI_SUM, replicaComm);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "reduce-scatter: " + mpiError(rc));
  return nullptr;
}

cleave_status cleave_transport_broadcast(cleave_tensor *t, int32_t root) {
  WaitTimer timer;
  int rc = MPI_Bcast(t->data, (int)cleave_tensor_num_bytes(t), MPI_BYTE, root,
                     replicaComm);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "broadcast from replica " +
                                             std::to_string(root) + ": " +
                                             mpiError(rc));
  return nullptr;
}

cleave_status cleave_transport_send(const cleave_tensor *t, int32_t peer,
                                    int32_t tag) {
  MPI_Request request;
  int rc = MPI_Isend(t->data, (int)cleave_tensor_num_bytes(t), MPI_BYTE, peer,
                     tag, pipelineComm, &request);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "send to device " +
                                             std::to_string(peer) + ": " +
                                             mpiError(rc));
  pendingSends().push_back({peer, tag, request});
  return nullptr;
}

} // extern "C"

namespace {

/// The status of a finished receive of `t`: an MPI error or a size that
/// differs from the tensor's is an error.
cleave_status checkReceived(int rc, const MPI_Status &status,
                            const cleave_tensor *t, int32_t peer, int32_t tag) {
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "receive from device " +
                                             std::to_string(peer) + ": " +
                                             mpiError(rc));
  int received = 0;
  MPI_Get_count(&status, MPI_BYTE, &received);
  int64_t bytes = cleave_tensor_num_bytes(t);
  if (received != bytes)
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "receive from device " + std::to_string(peer) +
                            " (tag " + std::to_string(tag) + "): " +
                            std::to_string(received) + " bytes, expected " +
                            std::to_string(bytes));
  return nullptr;
}

} // namespace

extern "C" {

cleave_status cleave_transport_recv(cleave_tensor *t, int32_t peer,
                                    int32_t tag) {
  MPI_Status status;
  WaitTimer timer;
  int rc = MPI_Recv(t->data, (int)cleave_tensor_num_bytes(t), MPI_BYTE, peer,
                    tag, pipelineComm, &status);
  return checkReceived(rc, status, t, peer, tag);
}

cleave_status cleave_transport_recv_start(cleave_tensor *t, int32_t peer,
                                          int32_t tag) {
  MPI_Request request;
  int rc = MPI_Irecv(t->data, (int)cleave_tensor_num_bytes(t), MPI_BYTE, peer,
                     tag, pipelineComm, &request);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "receive from device " +
                                             std::to_string(peer) + ": " +
                                             mpiError(rc));
  pendingRecvs().push_back({peer, tag, request});
  return nullptr;
}

cleave_status cleave_transport_recv_wait(cleave_tensor *t, int32_t peer,
                                         int32_t tag) {
  std::optional<MPI_Request> request = takePending(pendingRecvs(), peer, tag);
  if (!request)
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "no receive from device " + std::to_string(peer) +
                            " with tag " + std::to_string(tag) + " was posted");
  MPI_Status status;
  WaitTimer timer;
  int rc = MPI_Wait(&*request, &status);
  return checkReceived(rc, status, t, peer, tag);
}

cleave_status cleave_transport_send_done(int32_t peer, int32_t tag) {
  std::optional<MPI_Request> request = takePending(pendingSends(), peer, tag);
  if (!request)
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "no send to device " + std::to_string(peer) +
                            " with tag " + std::to_string(tag) + " is waiting");
  WaitTimer timer;
  int rc = MPI_Wait(&*request, MPI_STATUS_IGNORE);
  if (rc != MPI_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL, "waiting for the send to device " +
                                             std::to_string(peer) + ": " +
                                             mpiError(rc));
  return nullptr;
}

cleave_status cleave_transport_wait_sends(void) {
  // Every posted receive is waited for in its run (the next run posts the
  // same tags again).
  if (!pendingRecvs().empty()) {
    const Pending &stale = pendingRecvs().front();
    return CLEAVE_ERROR(
        CLEAVE_INTERNAL,
        "the receive from device " + std::to_string(stale.peer) + " with tag " +
            std::to_string(stale.tag) + " was posted but never waited for");
  }
  std::vector<MPI_Request> requests;
  for (const Pending &send : pendingSends())
    requests.push_back(send.request);
  pendingSends().clear();
  return waitAll(requests, "sends");
}

} // extern "C"

int cleave_transport_join(int *argc, char ***argv,
                          const cleave_program &program, int32_t device) {
  MPI_Init(argc, argv);
  // Errors come back as codes, reported with the rank, not as aborts
  // without a message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = -1, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Replica r's device k is rank r * devices + k.
  int replicas = program.replicas > 1 ? program.replicas : 1;
  int devices = size / replicas;
  if (size % replicas || rank % devices != device) {
    std::fprintf(stderr,
                 "%s: error: this is device %d's program (of %d replicas) but "
                 "it runs as MPI rank %d of %d\n",
                 program.name, device, replicas, rank, size);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  cleave_runtime_set_replica(rank / devices);
  cleave_runtime_clock_offset = clockOffset;
  cleave_runtime_replica_all_gather = cleave_transport_all_gather;
  if (replicas > 1) {
    MPI_Comm_split(MPI_COMM_WORLD, device, rank, &replicaComm);
    MPI_Comm_set_errhandler(replicaComm, MPI_ERRORS_RETURN);
    if (devices > 1) {
      MPI_Comm_split(MPI_COMM_WORLD, rank / devices, device, &pipelineComm);
      MPI_Comm_set_errhandler(pipelineComm, MPI_ERRORS_RETURN);
    }
  }
  return size;
}

void cleave_transport_abort(const cleave_program &program, int32_t device,
                            int rc) {
  // The launcher reads the rank from this line: mpirun's own report of the
  // abort can come garbled or not at all when several ranks stop at once.
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string which = "device " + std::to_string(device);
  if (program.replicas > 1)
    which += " of replica " + std::to_string(cleave_runtime_replica());
  std::fprintf(stderr,
               "%s: error: %s (MPI rank %d) failed; stopping every device\n",
               program.name, which.c_str(), rank);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, rc);
  std::abort(); // MPI_Abort does not return.
}

int cleave_transport_device_main(int argc, char **argv,
                                 const cleave_program &program,
                                 int32_t device) {
  cleave_transport_join(&argc, &argv, program, device);
  if (int rc = cleave_device_main(argc, argv, program))
    cleave_transport_abort(program, device, rc);
  MPI_Finalize();
  return 0;
}
