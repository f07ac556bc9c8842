"""One `AnalyticsConversation` as JSON text, from a details.Shape, cut at an instant.

Built from string templates rather than `json.dumps` of nested dicts: a results page holds up to
1000 conversations and a big day several GB, so this loop is the emulator's hot path. Every
value is a number, a generated id, a fixed token or a pool entry escaped once (details_pools),
so the text is valid JSON by construction (the tests parse every page).

The timeline follows Genesys analytics: customer / ivr / acd / agent participants, one session
each (two agents after a transfer), segments alert → interact (→ hold → interact) → wrapup with
the queueId on acd and agent segments and the wrapUpCode on wrapup, and metrics whose values add
up: tHandle = tTalkComplete + tHeldComplete + tAcw, tTalk per talk segment summing to
tTalkComplete. A conversation still going at `cut` has no conversationEnd; its open segment no
segmentEnd; segments and metrics after `cut` do not exist yet.
"""

from __future__ import annotations

from datetime import date, timedelta

from cx_assets.emulator.genesys.conversations.details import DAY_MS, Day, Shape, talk_start
from cx_assets.emulator.genesys.conversations.details_pools import MESSAGE_TYPES, pools

Metric = tuple[str, int, int]  # name, value, emit instant
Segment = tuple[int, int, str, str, str]  # start, end, type, extra, extra once ended

_EPOCH = date(1970, 1, 1)
_DAY_TEXT: dict[int, str] = {}
#: "THH:MM" per minute of a day and ":SS.mmmZ" per millisecond of a minute: formatting an
#: instant is then two divisions and three look-ups (strftime would be ~5x slower).
_MINUTES = tuple(f"T{m // 60:02d}:{m % 60:02d}" for m in range(1440))
_MILLIS = tuple(f":{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(60_000))


def iso(ms: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` for epoch milliseconds."""
    days, rem = divmod(ms, DAY_MS)
    text = _DAY_TEXT.get(days)
    if text is None:
        text = _DAY_TEXT.setdefault(days, (_EPOCH + timedelta(days=days)).isoformat())
    minute, milli = divmod(rem, 60_000)
    return text + _MINUTES[minute] + _MILLIS[milli]


def _session(head: str, metrics: list[Metric], segments: list[Segment], cut: int) -> str:
    """A session's JSON; each instant is formatted once (segments share ends, metrics too)."""
    segs = []
    texts: dict[int, str] = {}
    for start, end, kind, extra, ended in segments:
        if start > cut:
            break
        begun = texts.get(start) or texts.setdefault(start, iso(start))
        if end <= cut:
            texts[end] = done = iso(end)
            segs.append(
                f'{{"segmentStart":"{begun}","segmentEnd":"{done}",'
                f'"segmentType":"{kind}"{extra}{ended}}}'
            )
        else:
            segs.append(f'{{"segmentStart":"{begun}","segmentType":"{kind}"{extra}}}')
    if not segs:
        return ""
    mets = ",".join(
        f'{{"name":"{name}","value":{value},"emitDate":"{texts.get(emit) or iso(emit)}"}}'
        for name, value, emit in metrics
        if emit <= cut
    )
    return f'{{{head},"metrics":[{mets}],"segments":[{",".join(segs)}]}}'


def _talk(
    s: Shape, at: int, queue: str, last: str, held: bool
) -> tuple[list[Segment], list[Metric], int]:
    """An agent's talk from `at` (split by a hold): segments, tTalk/tHeld metrics, talk end."""
    if not held:
        end = at + s.talk1
        return [(at, end, "interact", queue, last)], [("tTalk", s.talk1, end)], end
    h0, h1 = at + s.talk1, at + s.talk1 + s.hold
    end = h1 + s.talk2
    segments = [(at, h0, "interact", queue, ""), (h0, h1, "hold", queue, "")]
    segments.append((h1, end, "interact", queue, last))
    return segments, [("tTalk", s.talk1, h0), ("tHeld", s.hold, h1), ("tTalk", s.talk2, end)], end


def render(day: Day, s: Shape, cut: int) -> str:
    """The conversation's JSON object; `cut` is the job's "now" (epoch ms)."""
    p = pools(day.seed)
    k = s.picks
    queue_id, queue_name = p.queues[(k & 0xFFF) % len(p.queues)]
    wrap = p.wrapups[((k >> 12) & 0xFFF) % len(p.wrapups)]
    agent_id, agent_name, team = p.agents[((k >> 24) & 0xFFF) % len(p.agents)]
    customer = p.customers[((k >> 48) & 0xFFF) % len(p.customers)]
    phone = p.phones[((k >> 60) & 0xFFF) % len(p.phones)]
    email = p.emails[((k >> 72) & 0xFFF) % len(p.emails)]
    did = p.dids[((k >> 96) & 0xFFF) % len(p.dids)]
    roll = s.rolls
    n = s.index << 3
    pid, sid = day.participant_prefix, day.session_prefix
    q = f',"queueId":"{queue_id}"'
    inbound = s.direction == "inbound"
    media = s.media
    held = s.hold > 0
    t0 = s.start
    voice = f',"edgeId":"{p.edge}","provider":"Edge"'
    if media == "voice":
        ani, dnis = (phone, did) if inbound else (did, phone)
        extra = f',"ani":"{ani}","dnis":"{dnis}"{voice}'
    elif media == "email":
        support = '"support@example.com"'
        sender, to = (email, support) if inbound else (support, email)
        extra = f',"addressFrom":{sender},"addressTo":{to},"provider":"PureCloud Email"'
    elif media == "message":
        extra = f',"messageType":"{MESSAGE_TYPES[(k >> 108) & 3]}","provider":"PureCloud Messaging"'
    elif media == "chat":
        extra = ',"provider":"PureCloud Webchat v2"'
    else:
        extra = f',"callbackNumbers":["{phone}"],"callbackUserName":{customer}'
    session = f'"mediaType":"{media}","direction":"{s.direction}"{extra}'
    hangup = ',"disconnectType":"endpoint"' if roll & 0x8000 else ',"disconnectType":"peer"'
    agent_hangup = ',"disconnectType":"client"' if roll & 0x8000 else ',"disconnectType":"peer"'
    note = f',"wrapUpNote":{p.notes[(k >> 120) & 3]}' if roll & 0x4000 else ""
    wrapped = f',"wrapUpCode":"{wrap}"{note},"disconnectType":"client"'
    answered = t0 + talk_start(s)
    parts: list[str] = []

    def add(n_: int, head: str, metrics: list[Metric], segments: list[Segment]) -> None:
        text = _session(f'"sessionId":"{sid}{n_:012x}",{session}', metrics, segments, cut)
        if text:
            parts.append(f'{{"participantId":"{pid}{n_:012x}",{head},"sessions":[{text}]}}')

    def agent(n_: int, who: tuple[str, str, str], at: int, talk: list[Segment],
              mets: list[Metric], talk_end: int, acw: int, alert: int, talked: int,
              heldt: int) -> None:  # fmt: skip
        uid, name, team_id = who
        segments = [(at - alert, at, "alert", q, "")] if alert else []
        done = talk_end + acw
        segments += [*talk, (talk_end, done, "wrapup", q, wrapped)]
        metrics = [("tAlert", alert, at)] if alert else [("nOutbound", 1, at)]
        metrics += [*mets, ("tTalkComplete", talked, talk_end)]
        if heldt:
            metrics.append(("tHeldComplete", heldt, talk_end))
        metrics += [("tAcw", acw, done), ("tHandle", talked + heldt + acw, done)]
        head = f'"participantName":{name},"purpose":"agent","userId":"{uid}","teamId":"{team_id}"'
        add(n_, head, metrics, segments)

    cust_head = f'"participantName":{customer},"purpose":"customer"'
    if roll & 0x1000:
        cust_head += f',"externalContactId":"{p.contacts[((k >> 84) & 0xFFF) % len(p.contacts)]}"'
    if roll & 0x2000:
        cust_head += f',"attributes":{{"language":"en-us","accountNumber":"AC{k % 10**7:07d}"}}'
    if inbound:
        q0 = t0 + s.ivr
        if s.abandoned:
            cust_end = answered
        elif s.transferred:
            cust_end = answered + s.talk1 + s.hold + s.talk2 + s.alert2 + s.talk3
        else:
            cust_end = answered + s.talk1 + s.hold + s.talk2
        if held:
            h0 = answered + s.talk1
            cust = [(t0, h0, "interact", "", ""), (h0, h0 + s.hold, "hold", "", "")]
            cust.append((h0 + s.hold, cust_end, "interact", "", hangup))
        else:
            cust = [(t0, cust_end, "interact", "", hangup)]
        add(n, cust_head, [] if s.abandoned else [("nConnected", 1, answered)], cust)
        if s.ivr:
            flow = ((k >> 36) & 0xFFF) % len(p.flows)
            flow_head = f'"participantName":{p.flow_names[flow]},"purpose":"ivr"'
            session_ivr = f',"flow":{{{p.flows[flow]},"transferTargetName":{queue_name}}}'
            segs: list[Segment] = [(t0, q0, "ivr", session_ivr, ',"disconnectType":"transfer"')]
            add(n + 1, flow_head, [("tIvr", s.ivr, q0)], segs)
        acd_metrics = [("nOffered", 1, q0), ("tAcd", s.wait, answered), ("tWait", s.wait, answered)]
        if s.abandoned:
            acd_metrics.append(("tAbandon", s.wait, answered))
            if s.wait < 10_000:
                acd_metrics.append(("tShortAbandon", s.wait, answered))
            acd_end = ',"disconnectType":"peer"'
        else:
            acd_metrics.append(("tAnswered", s.wait, answered))
            acd_end = ',"disconnectType":"transfer"'
        acd_head = f'"participantName":{queue_name},"purpose":"acd"'
        add(n + 2, acd_head, acd_metrics, [(t0 + s.ivr, answered, "interact", q, acd_end)])
        if not s.abandoned:
            last = ',"disconnectType":"transfer"' if s.transferred else agent_hangup
            talk, mets, talk_end = _talk(s, answered, q, last, held)
            if s.transferred:
                mets.append(("nTransferred", 1, talk_end))
            me = (agent_id, agent_name, team)
            talked = s.talk1 + s.talk2
            agent(n + 3, me, answered, talk, mets, talk_end, s.acw, s.alert, talked, s.hold)
            if s.transferred:
                other = p.agents[((k >> 132) & 0xFFF) % len(p.agents)]
                at = talk_end + s.alert2
                end2 = at + s.talk3
                talk2 = [(at, end2, "interact", q, agent_hangup)]
                mets2: list[Metric] = [("tTalk", s.talk3, end2)]
                agent(n + 4, other, at, talk2, mets2, end2, s.acw2, s.alert2, s.talk3, 0)
    else:
        talk, mets, talk_end = _talk(s, answered, q, agent_hangup, held)
        if media == "voice":
            dialed = t0 + s.dial
            lead = [(t0, dialed, "dialing", q, ""), (dialed, answered, "contacting", q, "")]
            mets.insert(0, ("tContacting", s.contact, answered))
            cust = [(answered, talk_end, "interact", "", hangup)]
        else:
            lead, cust = [], [(t0, talk_end, "interact", "", ',"disconnectType":"peer"')]
        me = (agent_id, agent_name, team)
        talked = s.talk1 + s.talk2
        agent(n, me, t0, lead + talk, mets, talk_end, s.acw, 0, talked, s.hold)
        add(n + 1, cust_head, [], cust)

    home = ((k >> 144) & 0xFFF) % 3
    divisions = p.divisions[home]
    if roll & 0x10000:
        divisions += f'","{p.divisions[(home + 1) % 3]}'
    top = (
        f'{{"conversationId":"{day.conversation_prefix}{s.index:012x}",'
        f'"conversationStart":"{iso(t0)}"'
    )
    if s.end <= cut:
        top += f',"conversationEnd":"{iso(s.end)}"'
    initiator = "customer" if inbound else "agent"
    top += (
        f',"originatingDirection":"{s.direction}","conversationInitiator":"{initiator}",'
        f'"customerParticipation":true,"divisionIds":["{divisions}"]'
    )
    if media == "voice":
        mos = 3 + ((k >> 156) & 0xFF) / 128
        top += f',"mediaStatsMinConversationMos":{mos:.3f},'
        top += f'"mediaStatsMinConversationRFactor":{70 + ((k >> 164) & 0x1F) * 0.8:.1f}'
    if roll & 0x60000 == 0x60000:
        top += f',"externalTag":"EXT-{s.index:06d}"'
    return f'{top},"participants":[{",".join(parts)}]}}'
