"""Several effects of one workflow carried out by one activity (one billable action).

The effect queue hands over the effects at the head of its queue that were queued
together: a registry write, the notice that goes with it, a certificate behind them
(`domain.effects.next_batch`). They run in the order queued, except that registry writes
go before a notice (never past a certificate: `domain.effects.execution_order`), each
exactly as its own activity would run it, so a retried batch repeats nothing: a registry
write is keyed (a time limit never replaces a newer one), a notice already sent is not
sent again, a certificate already issued comes back as it was.

A fault that may pass (the relay or the registry is down) fails the whole attempt and
Temporal retries it; an effect that can never succeed is reported in its outcome, and
the effects behind it still run, as the queue would have run them one by one.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.certificate import CertificateActivities
from activities.email import EmailActivities
from activities.registry import RegistryActivities
from domain.effects import Effect, EffectBatch, EffectKind, EffectOutcome, execution_order
from domain.notices import DeliveryStatus


class EffectActivities:
    def __init__(
        self,
        registry: RegistryActivities,
        email: EmailActivities,
        certificate: CertificateActivities,
    ) -> None:
        self._registry = registry
        self._email = email
        self._certificate = certificate

    @activity.defn
    async def carry_out_effects(self, batch: EffectBatch) -> list[EffectOutcome]:
        """Carry out the batch in `execution_order` (registry writes before the notice);
        one outcome per effect, in the batch's order."""
        ordered = execution_order(batch.effects)
        outcomes: dict[int, EffectOutcome] = {}
        for effect in ordered:
            if outcomes:
                # Alive between effects, carrying forward what an earlier attempt told its
                # retry (that the relay took the notice), for the notice to read. Before
                # the first there is no need: the attempt has just started, and Temporal
                # keeps the earlier attempt's details until a heartbeat replaces them.
                activity.heartbeat(*activity.info().heartbeat_details)
            try:
                outcomes[id(effect)] = await self._carry_out(effect)
            except ApplicationError as error:
                if not error.non_retryable:
                    raise
                reason = f"{error.type or 'error'}: {error.message}"
                outcomes[id(effect)] = EffectOutcome(key=effect.key, error=reason)
        return [outcomes[id(e)] for e in batch.effects]

    async def _carry_out(self, effect: Effect) -> EffectOutcome:
        done = EffectOutcome(key=effect.key)
        if effect.kind == EffectKind.SEND_NOTICE and effect.notice is not None:
            delivery = await self._email.deliver(effect.notice)
            if delivery.status in (DeliveryStatus.FAILED, DeliveryStatus.PARTLY_FAILED):
                return EffectOutcome(key=effect.key, error=delivery.error)
        elif effect.event is not None:
            await self._registry.record_event(effect.event)
        elif effect.term_event is not None:
            await self._registry.record_term_event(effect.term_event)
        elif effect.deadline is not None:
            await self._registry.record_deadline(effect.deadline)
        elif effect.kind == EffectKind.ISSUE_CERTIFICATE and effect.certificate is not None:
            recognition = await self._certificate.issue_certificate(effect.certificate)
            return EffectOutcome(key=effect.key, recognition=recognition)
        return done
