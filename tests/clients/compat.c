// SPDX-License-Identifier: GPL-2.0-only
/*
 * The paths around the cgroup setsockopt hook, for the VM selftests (built
 * static, 64-bit as /bin/compat and -m32 as /bin/compat32):
 *
 *   compat int80 LEVEL OPTNAME INT
 *	setsockopt through `int $0x80` (i386 setsockopt, 366): a 32-bit
 *	(compat) syscall from whatever binary this is.
 *   compat uring [-x] [-a] LEVEL OPTNAME INT
 *	setsockopt as an io_uring command (IORING_OP_URING_CMD,
 *	SOCKET_URING_OP_SETSOCKOPT: Linux 6.7+).  The ring is compat when this
 *	is the 32-bit build, or with -x (the 64-bit build creates the ring
 *	through `int $0x80` and then submits with 64-bit syscalls); -a submits
 *	with IOSQE_ASYNC (an io-wq worker makes the call).
 *   compat cmsg [-6] LEVEL TYPE INT
 *	one UDP datagram over loopback with a control message (LEVEL, TYPE,
 *	an int; IP_TOS as one byte with -b), received with the TOS/TTL (IPv6:
 *	TCLASS/HOPLIMIT) it carried.
 *   compat bench [-c] N
 *	N UDP sends over loopback (with -c each carries an IP_TOS cmsg, AF41):
 *	prints ns per send.  A report, never a pass mark.
 *
 * Output: "set=0 get=N" or "set=-1 errno=N" (int80, uring; "uring=none
 * errno=N" when the kernel has no such io_uring command); "send=0 tos=N
 * ttl=N" / "send=0 tclass=N hlim=N" or "send=-1 errno=N" (cmsg).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>

#define I386_SETSOCKOPT		366
#define I386_IO_URING_SETUP	425
#define URING_OP_SETSOCKOPT	3	/* SOCKET_URING_OP_SETSOCKOPT (6.7 uapi) */

static long int80(long nr, long a, long b, long c, long d, long e)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
#ifdef __x86_64__
		     : "memory", "r8", "r9", "r10", "r11");
#else
		     : "memory");
#endif
	return ret;
}

/* Memory a 32-bit syscall can point at (below 4 GiB). */
static void *low_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
#ifdef __x86_64__
		       | MAP_32BIT
#endif
		       , -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void report_get(int fd, int level, int optname)
{
	int got = 0;
	socklen_t len = sizeof(got);

	if (getsockopt(fd, level, optname, &got, &len) < 0)
		printf("set=0 get=? errno=%d\n", errno);
	else
		printf("set=0 get=%d\n", got);
}

static int do_int80(int level, int optname, int val)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int *v = low_page();
	long r;

	*v = val;
	r = int80(I386_SETSOCKOPT, fd, level, optname, (long)(uintptr_t)v, sizeof(int));
	if (r < 0)
		printf("set=-1 errno=%ld\n", -r);
	else
		report_get(fd, level, optname);
	return 0;
}

/* The SQE as 6.7's uapi lays out a socket command. */
struct sqe {
	uint8_t opcode, flags;
	uint16_t ioprio;
	int32_t fd;
	uint32_t cmd_op, pad1;
	uint32_t level, optname;
	uint32_t len, uring_cmd_flags;
	uint64_t user_data;
	uint16_t buf_index, personality;
	uint32_t optlen;
	uint64_t optval, pad2;
};

static int do_uring(int compat80, int async, int level, int optname, int val)
{
	struct io_uring_params *p = low_page();
	int fd = socket(AF_INET, SOCK_STREAM, 0), rfd, *v = low_page();
	unsigned int *sq_tail, *sq_array, *cq_head, *cq_tail, mask;
	struct io_uring_cqe *cqes;
	char *sq, *cq;
	struct sqe *sqes;
	long r;

	memset(p, 0, sizeof(*p));
	if (compat80)
		r = int80(I386_IO_URING_SETUP, 4, (long)(uintptr_t)p, 0, 0, 0);
	else
		r = syscall(__NR_io_uring_setup, 4, p);
	if (r < 0) {
		printf("uring=none errno=%ld\n", compat80 ? -r : (long)errno);
		return 0;
	}
	rfd = r;
	sq = mmap(NULL, p->sq_off.array + p->sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p->sq_entries * sizeof(struct sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		perror("mmap ring");
		return 1;
	}
	sq_tail = (unsigned int *)(sq + p->sq_off.tail);
	sq_array = (unsigned int *)(sq + p->sq_off.array);
	mask = *(unsigned int *)(sq + p->sq_off.ring_mask);
	cq_head = (unsigned int *)(cq + p->cq_off.head);
	cq_tail = (unsigned int *)(cq + p->cq_off.tail);
	cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);

	*v = val;
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_URING_CMD;
	sqes[0].flags = async ? IOSQE_ASYNC : 0;
	sqes[0].fd = fd;
	sqes[0].cmd_op = URING_OP_SETSOCKOPT;
	sqes[0].level = level;
	sqes[0].optname = optname;
	sqes[0].optlen = sizeof(int);
	sqes[0].optval = (uint64_t)(uintptr_t)v;
	sq_array[*sq_tail & mask] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, rfd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		printf("uring=none errno=%d\n", errno);
		return 0;
	}
	if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head) {
		printf("uring=none errno=0 (no completion)\n");
		return 0;
	}
	r = cqes[*cq_head & *(unsigned int *)(cq + p->cq_off.ring_mask)].res;
	if (r == -EOPNOTSUPP || r == -EINVAL)	/* no socket commands, or no SETSOCKOPT one */
		printf("uring=none errno=%ld\n", -r);
	else if (r < 0)
		printf("set=-1 errno=%ld\n", -r);
	else
		report_get(fd, level, optname);
	return 0;
}

static int loop_pair(int family, int *tx, int *rx)
{
	struct sockaddr_storage ss;
	socklen_t sl = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	*rx = socket(family, SOCK_DGRAM, 0);
	*tx = socket(family, SOCK_DGRAM, 0);
	if (*rx < 0 || *tx < 0 || bind(*rx, (struct sockaddr *)&ss, sl) ||
	    getsockname(*rx, (struct sockaddr *)&ss, &sl) ||
	    connect(*tx, (struct sockaddr *)&ss, sl)) {
		perror("udp pair");
		return -1;
	}
	if (family == AF_INET) {
		setsockopt(*rx, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
		setsockopt(*rx, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	} else {
		setsockopt(*rx, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
		setsockopt(*rx, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	}
	return 0;
}

static int do_cmsg(int family, int byte, int level, int type, int val)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u, ru;
	char data[8] = "optguard", rbuf[16];
	struct iovec iov = { data, sizeof(data) }, riov = { rbuf, sizeof(rbuf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 }, rm = { .msg_iov = &riov,
		.msg_iovlen = 1 };
	char rctl[256];
	struct pollfd pfd;
	struct cmsghdr *c;
	int tx, rx, a = -1, b = -1;

	if (loop_pair(family, &tx, &rx))
		return 1;
	memset(&u, 0, sizeof(u));
	m.msg_control = u.buf;
	m.msg_controllen = byte ? CMSG_SPACE(1) : CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	if (byte) {
		c->cmsg_len = CMSG_LEN(1);
		*(unsigned char *)CMSG_DATA(c) = val;
	} else {
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &val, sizeof(int));
	}
	if (sendmsg(tx, &m, 0) < 0) {
		printf("send=-1 errno=%d\n", errno);
		return 0;
	}
	pfd.fd = rx;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 2000) != 1) {
		printf("send=0 recv=none\n");
		return 0;
	}
	(void)ru;
	rm.msg_control = rctl;
	rm.msg_controllen = sizeof(rctl);
	if (recvmsg(rx, &rm, 0) < 0) {
		printf("send=0 recv=-1 errno=%d\n", errno);
		return 0;
	}
	for (c = CMSG_FIRSTHDR(&rm); c; c = CMSG_NXTHDR(&rm, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			a = *(unsigned char *)CMSG_DATA(c);
		else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
			memcpy(&b, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
			memcpy(&a, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
			memcpy(&b, CMSG_DATA(c), sizeof(int));
	}
	if (family == AF_INET)
		printf("send=0 tos=%d ttl=%d\n", a, b);
	else
		printf("send=0 tclass=%d hlim=%d\n", a, b);
	return 0;
}

static int do_bench(int with_cmsg, long n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char data[64] = { 0 };
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct timespec t0, t1;
	struct cmsghdr *c;
	int tx, rx, af41 = 0x88;
	long i;

	if (loop_pair(AF_INET, &tx, &rx))
		return 1;
	if (with_cmsg) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TOS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &af41, sizeof(int));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (sendmsg(tx, &m, MSG_DONTWAIT) < 0 && errno != EAGAIN) {
			printf("send=-1 errno=%d\n", errno);
			return 1;
		}
		if ((i & 63) == 63)	/* keep the receiver from filling up */
			while (recv(rx, data, sizeof(data), MSG_DONTWAIT) > 0)
				;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ns_per_send=%lld\n", ((t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec -
				       t0.tv_nsec) / (n ? n : 1));
	return 0;
}

int main(int argc, char **argv)
{
	int compat80 = 0, async = 0, family = AF_INET, byte = 0, with_cmsg = 0, c;
	const char *mode = argc > 1 ? argv[1] : "";

	optind = 2;
	while ((c = getopt(argc, argv, "6abcx")) != -1) {
		if (c == '6')
			family = AF_INET6;
		else if (c == 'a')
			async = 1;
		else if (c == 'b')
			byte = 1;
		else if (c == 'c')
			with_cmsg = 1;
		else if (c == 'x')
			compat80 = 1;
		else
			return 2;
	}
	if (!strcmp(mode, "bench") && argc - optind == 1)
		return do_bench(with_cmsg, atol(argv[optind]));
	if (argc - optind != 3) {
		fprintf(stderr, "usage: compat int80 LEVEL OPTNAME INT\n"
			"       compat uring [-x] [-a] LEVEL OPTNAME INT\n"
			"       compat cmsg [-6] [-b] LEVEL TYPE INT\n"
			"       compat bench [-c] N\n");
		return 2;
	}
	c = atoi(argv[optind]);
	if (!strcmp(mode, "int80"))
		return do_int80(c, atoi(argv[optind + 1]), (int)strtol(argv[optind + 2], NULL, 0));
	if (!strcmp(mode, "uring"))
		return do_uring(compat80, async, c, atoi(argv[optind + 1]),
				(int)strtol(argv[optind + 2], NULL, 0));
	if (!strcmp(mode, "cmsg"))
		return do_cmsg(family, byte, c, atoi(argv[optind + 1]),
			       (int)strtol(argv[optind + 2], NULL, 0));
	return 2;
}
