/** A fake Azure Service Bus namespace speaking AMQP 1.0 over TLS that authorizes clients through CBS put-token. */
@NullMarked
package dev.workloadidentity.spring.testsupport.servicebus;

import org.jspecify.annotations.NullMarked;
