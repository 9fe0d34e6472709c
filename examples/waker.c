/* SPDX-License-Identifier: MIT */
/* waker — waking a poll from another thread and from a signal handler (mio's Waker).
 *
 *   waker [--jobs N]
 *
 * A worker thread hands N jobs (default 10000) to the event loop through a small queue and calls
 * cmio_waker_wake() after each one; the loop, blocked in cmio_poll_poll() with no timeout, wakes
 * up, drains the queue and checks that every job arrived once, in order. Wakes that arrive before
 * the loop runs coalesce into one event, so there are far fewer events than wakes. Then it prints
 *
 *   waker: processed N jobs from the worker thread in K wake-ups; waiting for SIGINT or SIGTERM
 *
 * and waits. SIGINT or SIGTERM stops it cleanly: the handler sets a flag and calls
 * cmio_waker_wake(), which is async-signal-safe (one write(2): no lock, no allocation), and the
 * loop sees the flag on the wake-up. It exits 0 when every job arrived and the stop came from a
 * signal, 1 otherwise.
 */
#include <cmio/cmio.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_WAKER ((cmio_token)7)
#define QUEUE_CAP 64

/* The jobs the worker hands over: a bounded queue under a mutex (the waker only says "look"). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t room;
    unsigned long items[QUEUE_CAP];
    size_t head, count;
    bool done; /* the worker has queued every job */
    bool quit; /* the loop has stopped: the worker gives up */
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, false, false};

static cmio_waker *waker;
static unsigned long njobs = 10000;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    int saved_errno = errno; /* a handler must not change errno under the code it interrupted */
    stop_signal = sig;
    (void)cmio_waker_wake(waker); /* async-signal-safe */
    errno = saved_errno;
}

static void *worker(void *arg)
{
    (void)arg;
    for (unsigned long job = 1; job <= njobs; job++) {
        pthread_mutex_lock(&queue.mu);
        while (queue.count == QUEUE_CAP && !queue.quit)
            pthread_cond_wait(&queue.room, &queue.mu);
        if (queue.quit) {
            pthread_mutex_unlock(&queue.mu);
            return NULL;
        }
        queue.items[(queue.head + queue.count++) % QUEUE_CAP] = job;
        pthread_mutex_unlock(&queue.mu);
        int r = cmio_waker_wake(waker); /* thread-safe: any thread may wake the poll */
        if (r < 0)
            fprintf(stderr, "waker: wake: %s\n", cmio_strerror(r));
    }
    pthread_mutex_lock(&queue.mu);
    queue.done = true;
    pthread_mutex_unlock(&queue.mu);
    (void)cmio_waker_wake(waker);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--jobs") == 0) {
        njobs = strtoul(argv[2], NULL, 10);
    } else if (argc != 1) {
        fprintf(stderr, "usage: waker [--jobs N]\n");
        return 2;
    }

    cmio_poll *poll = NULL;
    cmio_events *events = NULL;
    int r;
    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 8)) < 0 ||
        (r = cmio_waker_new(&waker, cmio_poll_registry(poll), TOKEN_WAKER)) < 0) {
        fprintf(stderr, "waker: %s\n", cmio_strerror(r));
        return 1;
    }
    /* The waker exists before the handlers do, and is freed after they are gone. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* The worker must not take the signals: block them in the thread it inherits the mask from. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t thread;
    r = pthread_create(&thread, NULL, worker, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        fprintf(stderr, "waker: pthread_create: %s\n", cmio_strerror(r));
        return 1;
    }

    unsigned long next = 1, wakeups = 0;
    bool reported = false, ok = true;
    while (!stop_signal) {
        r = cmio_poll_poll(poll, events, NULL); /* no timeout: only a wake ends the wait */
        if (r == -EINTR)
            continue; /* the signal arrived during the wait itself; the loop condition sees it */
        if (r < 0) {
            fprintf(stderr, "waker: poll: %s\n", cmio_strerror(r));
            ok = false;
            break;
        }
        for (size_t i = 0; i < cmio_events_len(events); i++) {
            if (cmio_event_token(cmio_events_get(events, i)) != TOKEN_WAKER ||
                !cmio_event_is_readable(cmio_events_get(events, i)))
                continue;
            wakeups++;
            /* Drain everything queued: one wake-up may stand for many wakes. */
            pthread_mutex_lock(&queue.mu);
            while (queue.count > 0) {
                unsigned long job = queue.items[queue.head];
                queue.head = (queue.head + 1) % QUEUE_CAP;
                queue.count--;
                if (job != next) {
                    fprintf(stderr, "waker: job %lu arrived, expected %lu\n", job, next);
                    ok = false;
                }
                next = job + 1;
            }
            bool done = queue.done;
            pthread_cond_signal(&queue.room);
            pthread_mutex_unlock(&queue.mu);
            if (done && !reported) {
                reported = true;
                ok = ok && next == njobs + 1;
                printf("waker: processed %lu jobs from the worker thread in %lu wake-ups; "
                       "waiting for SIGINT or SIGTERM\n",
                       next - 1, wakeups);
                fflush(stdout);
            }
        }
    }
    pthread_mutex_lock(&queue.mu);
    queue.quit = true; /* a worker waiting for room must not wait for a loop that has ended */
    pthread_cond_signal(&queue.room);
    pthread_mutex_unlock(&queue.mu);
    pthread_join(thread, NULL);

    /* Shutting down: first no more handlers, then free the waker they use. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    cmio_waker_free(waker);
    cmio_events_free(events);
    cmio_poll_free(poll);
    if (stop_signal)
        printf("waker: stopping cleanly on %s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    if (!reported) {
        printf("waker: FAILED: stopped before every job arrived (%lu of %lu)\n", next - 1, njobs);
        return 1;
    }
    return ok && stop_signal ? 0 : 1;
}
