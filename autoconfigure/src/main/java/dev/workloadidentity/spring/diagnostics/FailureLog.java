package dev.workloadidentity.spring.diagnostics;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Logs a workload identity failure once, as one WARN line with its cause and fix, however often it recurs; a
 * different failure gets its own line, and recovery one INFO line.
 */
public final class FailureLog {

    private static final Log logger = LogFactory.getLog(FailureLog.class);

    private final String subject;

    private @Nullable String lastCode;

    /** A log for the pod's identity. */
    public FailureLog() {
        this("Workload identity");
    }

    /**
     * @param subject what each line starts with, naming the identity
     */
    public FailureLog(String subject) {
        this.subject = subject;
    }

    /**
     * @param diagnosis what is wrong now
     */
    public synchronized void failed(Diagnosis diagnosis) {
        if (!diagnosis.code().equals(this.lastCode)) {
            this.lastCode = diagnosis.code();
            logger.warn(this.subject + ": " + diagnosis.describe());
        }
    }

    /** Records that a token was acquired with nothing to warn about. */
    public synchronized void recovered() {
        if (this.lastCode != null) {
            logger.info(this.subject + ": resolved (" + this.lastCode + "); tokens are acquired again.");
            this.lastCode = null;
        }
    }

}
