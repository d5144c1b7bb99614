package dev.workloadidentity.spring.credential;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon platform threads for token acquisition: not the common pool and not virtual threads, both of which have
 * deadlocked token acquisition in the field, and daemons so that a stuck request to Entra never keeps the JVM
 * alive. Idle threads end after a minute, so a pool nobody closes leaks nothing.
 */
public final class TokenThreads implements ThreadFactory {

    private final String namePrefix;

    private final AtomicInteger count = new AtomicInteger();

    /**
     * @param namePrefix thread names are this prefix and a number
     */
    public TokenThreads(String namePrefix) {
        this.namePrefix = namePrefix;
    }

    /**
     * @param namePrefix thread names are this prefix and a number
     * @param threads the most threads running at once
     * @return a pool of such threads
     */
    public static ExecutorService pool(String namePrefix, int threads) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new TokenThreads(namePrefix));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread thread = new Thread(task, this.namePrefix + this.count.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }

}
