/*===- CudaTransport.h - tensors between GPU device processes -----*- C -*-===//
 *
 * The CUDA counterpart of Transport.h (libCleaveRuntimeCudaMpi). Each device
 * is an MPI rank; tensors are device memory. Two transports, chosen by the
 * environment variable CLEAVE_TRANSPORT:
 *   nccl (default)  ncclSend/ncclRecv on a communication stream of its own,
 *                   ordered against the compute stream by events, so compute
 *                   overlaps transfers; the NCCL unique id goes over MPI.
 *                   Waits poll ncclCommGetAsyncError and abort the
 *                   communicator on an error or after CLEAVE_NCCL_TIMEOUT_S
 *                   seconds (default 600) instead of hanging.
 *   mpi             host-staged: device -> pinned host -> MPI -> host ->
 *                   device. For GPUs without NCCL peers and for several
 *                   processes sharing one GPU.
 * Device k uses GPU CLEAVE_CUDA_DEVICE if set, else k modulo the GPU count.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_CUDATRANSPORT_H
#define CLEAVE_RUNTIME_CUDATRANSPORT_H

#include "cleave/Runtime/CudaKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

cleave_status cleave_cuda_transport_send(const cleave_tensor *t, int32_t peer,
                                         int32_t tag);
cleave_status cleave_cuda_transport_recv(cleave_tensor *t, int32_t peer,
                                         int32_t tag);
cleave_status cleave_cuda_transport_recv_start(cleave_tensor *t, int32_t peer,
                                               int32_t tag);
cleave_status cleave_cuda_transport_recv_wait(cleave_tensor *t, int32_t peer,
                                              int32_t tag);
cleave_status cleave_cuda_transport_send_done(int32_t peer, int32_t tag);
cleave_status cleave_cuda_transport_wait_sends(void);
cleave_status cleave_cuda_transport_all_reduce_start(cleave_tensor *t);
cleave_status cleave_cuda_transport_all_reduce_wait(void);
cleave_status cleave_cuda_transport_all_gather(const cleave_tensor *input,
                                               cleave_tensor *output);
cleave_status cleave_cuda_transport_reduce_scatter(const cleave_tensor *input,
                                                   cleave_tensor *output);
cleave_status cleave_cuda_transport_broadcast(cleave_tensor *t, int32_t root);

#ifdef __cplusplus
}

/* The main of device `device` of a multi-device CUDA bundle: joins the MPI
 * job, sets up the transport, runs the program; on failure aborts the job. */
int cleave_cuda_transport_device_main(int argc, char **argv,
                                      const cleave_program &program,
                                      int32_t device,
                                      cleave_precision precision);
#endif

#endif /* CLEAVE_RUNTIME_CUDATRANSPORT_H */
