//===- TransportTest.cpp - the MPI transport's collectives, on 3 ranks ----===//
//
// Run by ctest as `mpirun -np 3 CleaveTransportTests`: every rank runs every
// test, in the same order, so each collective has all its replicas. Each
// result is checked against what the rank computes for itself from the
// other ranks' known inputs.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtils.h"
#include "cleave/Runtime/Transport.h"
#include <gtest/gtest.h>
#include <mpi.h>
#include <string>
#include <vector>

namespace {

using cleave::testing::view;

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int ranks() {
  int n = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

/// The status's message, freeing it ("" for success).
std::string message(cleave_status status) {
  std::string text = status ? cleave_status_message(status) : "";
  cleave_status_free(status);
  return text;
}

TEST(Transport, AllGatherJoinsRanksInOrder) {
  int r = rank(), n = ranks();
  std::vector<int64_t> in = {10 * r, 10 * r + 1}, out(2 * n, -1);
  cleave_tensor x = view(CLEAVE_DTYPE_I64, {2}, in);
  cleave_tensor y = view(CLEAVE_DTYPE_I64, {2 * n}, out);
  ASSERT_EQ(message(cleave_transport_all_gather(&x, &y)), "");
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(out[2 * k], 10 * k);
    EXPECT_EQ(out[2 * k + 1], 10 * k + 1);
  }
}

TEST(Transport, ReduceScatterKeepsThisRanksSliceOfTheSum) {
  int r = rank(), n = ranks();
  // Element i of rank k's input is 100 k + i: their sum is 100 n (n-1)/2
  // + n i, of which rank r keeps elements 2r and 2r + 1.
  std::vector<float> in(2 * n), out(2, -1);
  for (int i = 0; i < 2 * n; ++i)
    in[i] = (float)(100 * r + i);
  cleave_tensor x = view(CLEAVE_DTYPE_F32, {2 * n, 1}, in);
  cleave_tensor y = view(CLEAVE_DTYPE_F32, {2, 1}, out);
  ASSERT_EQ(message(cleave_transport_reduce_scatter(&x, &y)), "");
  for (int j = 0; j < 2; ++j)
    EXPECT_EQ(out[j], (float)(100 * n * (n - 1) / 2 + n * (2 * r + j)));
}

TEST(Transport, BroadcastCopiesTheRoots) {
  int r = rank(), n = ranks();
  for (int root = 0; root < n; ++root) {
    std::vector<float> values = {(float)r, (float)r + 0.5f, -(float)r};
    cleave_tensor t = view(CLEAVE_DTYPE_F32, {3}, values);
    ASSERT_EQ(message(cleave_transport_broadcast(&t, root)), "");
    EXPECT_EQ(values, (std::vector<float>{(float)root, (float)root + 0.5f,
                                          -(float)root}));
  }
}

TEST(Transport, WrongSizesAreErrorsOnEveryRank) {
  int n = ranks();
  std::vector<float> in(4), out(4 * n + 1);
  cleave_tensor x = view(CLEAVE_DTYPE_F32, {4}, in);
  cleave_tensor y = view(CLEAVE_DTYPE_F32, {4 * n + 1}, out);
  EXPECT_NE(message(cleave_transport_all_gather(&x, &y))
                .find("the output must hold " + std::to_string(n) + " inputs"),
            std::string::npos);
  cleave_tensor small = view(CLEAVE_DTYPE_F32, {3}, out);
  EXPECT_NE(message(cleave_transport_reduce_scatter(&x, &small))
                .find("the input must hold"),
            std::string::npos);
  std::vector<int32_t> ints(4 * n);
  cleave_tensor i32 = view(CLEAVE_DTYPE_I32, {4 * n}, ints);
  cleave_tensor one = view(CLEAVE_DTYPE_I32, {4}, ints);
  EXPECT_NE(message(cleave_transport_reduce_scatter(&i32, &one))
                .find("only f32"),
            std::string::npos);
}

// Each rank posts two receives from the next rank (the later tag first)
// before that rank sends, then waits for them in the other order: each
// tensor arrives in its own buffer, matched by tag.
TEST(Transport, PostedReceivesLandInTheirBuffersByTag) {
  int r = rank(), n = ranks();
  int next = (r + 1) % n, previous = (r + n - 1) % n;
  std::vector<float> first(3, -1), second(3, -1);
  cleave_tensor a = view(CLEAVE_DTYPE_F32, {3}, first);
  cleave_tensor b = view(CLEAVE_DTYPE_F32, {3}, second);
  ASSERT_EQ(message(cleave_transport_recv_start(&b, next, 12)), "");
  ASSERT_EQ(message(cleave_transport_recv_start(&a, next, 11)), "");
  std::vector<float> one = {(float)r, 1, 2}, two = {(float)r, 3, 4};
  cleave_tensor x = view(CLEAVE_DTYPE_F32, {3}, one);
  cleave_tensor y = view(CLEAVE_DTYPE_F32, {3}, two);
  ASSERT_EQ(message(cleave_transport_send(&x, previous, 11)), "");
  ASSERT_EQ(message(cleave_transport_send(&y, previous, 12)), "");
  ASSERT_EQ(message(cleave_transport_recv_wait(&a, next, 11)), "");
  ASSERT_EQ(message(cleave_transport_recv_wait(&b, next, 12)), "");
  ASSERT_EQ(message(cleave_transport_wait_sends()), "");
  EXPECT_EQ(first, (std::vector<float>{(float)next, 1, 2}));
  EXPECT_EQ(second, (std::vector<float>{(float)next, 3, 4}));
}

TEST(Transport, PostedReceiveErrorsNameThePeerAndTag) {
  int r = rank(), n = ranks();
  int next = (r + 1) % n, previous = (r + n - 1) % n;
  std::vector<float> buffer(4, -1);
  cleave_tensor t = view(CLEAVE_DTYPE_F32, {4}, buffer);
  EXPECT_NE(message(cleave_transport_recv_wait(&t, next, 21))
                .find("no receive from device " + std::to_string(next) +
                      " with tag 21 was posted"),
            std::string::npos);
  // Two floats sent into a posted receive of four.
  ASSERT_EQ(message(cleave_transport_recv_start(&t, next, 22)), "");
  std::vector<float> two = {1, 2};
  cleave_tensor x = view(CLEAVE_DTYPE_F32, {2}, two);
  ASSERT_EQ(message(cleave_transport_send(&x, previous, 22)), "");
  EXPECT_NE(message(cleave_transport_recv_wait(&t, next, 22))
                .find("receive from device " + std::to_string(next) +
                      " (tag 22): 8 bytes, expected 16"),
            std::string::npos);
  ASSERT_EQ(message(cleave_transport_wait_sends()), "");
}

} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  ::testing::InitGoogleTest(&argc, argv);
  // Only rank 0 prints; every rank's failures still fail the job.
  if (rank() != 0) {
    auto &listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  MPI_Finalize();
  return rc;
}
