"""Every word on the case workers' page, in Chinese (the default) and English.

The template renders the shell in one language; the same table goes to the browser so
that switching language needs no reload. Indicator texts are not here: they come with
each score, written from `features.catalogue` when the batch was scored.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"

# key: (zh, en). `{name}` placeholders are filled in by page.js.
TEXTS: dict[str, tuple[str, str]] = {
    "title": ("控辍保学 · 辍学风险预警", "Dropout early warning"),
    "skip": ("跳到主要内容", "Skip to main content"),
    "noscript": ("本页面需要启用 JavaScript。", "This page needs JavaScript."),
    "lang_switch": ("English", "中文"),
    "lang_switch_label": ("Switch to English", "切换到中文"),
    "signin_heading": ("登录", "Sign in"),
    "signin_intro": (
        "请输入管理员发给您的8位登录码。登录码只能使用一次，10分钟内有效；登录后12小时内无需重新登录。",
        "Enter the 8-character sign-in code your administrator gave you. A code works once, "
        "within 10 minutes; you then stay signed in for 12 hours.",
    ),
    "signin_who": (
        "登录码由县教育局（或乡镇中心学校）的系统管理员发放。没有登录码或登录码已失效，请与他们联系。",
        "Sign-in codes are issued by the system administrator of the county education bureau "
        "(or of the township's central school). Ask them if you have none or yours has expired.",
    ),
    "code_label": ("登录码", "Sign-in code"),
    "signin_button": ("登录", "Sign in"),
    "signin_failed": (
        "登录码不正确、已使用或已过期，请向管理员重新索取。",
        "This code is wrong, used or expired. Ask your administrator for a new one.",
    ),
    "signin_blocked": (
        "输错次数过多，请15分钟后再试。",
        "Too many wrong codes. Please try again in 15 minutes.",
    ),
    "token_heading": ("使用访问令牌登录（接口用户）", "Sign in with an access token (API users)"),
    "token_intro": (
        "访问令牌只保存在当前浏览器标签页中，关闭标签页即失效。",
        "The token is kept only in this browser tab and forgotten when you close it.",
    ),
    "token_label": ("访问令牌", "Access token"),
    "token_show": ("显示令牌", "Show the token"),
    "token_button": ("用令牌登录", "Sign in with the token"),
    "token_failed": (
        "令牌无效，请检查后重试。",
        "This token was not accepted. Check it and try again.",
    ),
    "session_expired": (
        "登录已失效，请重新登录。",
        "Your sign-in is no longer valid. Please sign in again.",
    ),
    "signout": ("退出登录", "Sign out"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "scope_all": ("全部辖区", "all areas"),
    "scope_county": ("县 {value}", "county {value}"),
    "scope_township": ("乡镇 {value}", "township {value}"),
    "scope_school": ("学校 {value}", "school {value}"),
    "list_heading": ("重点关注名单", "Watchlist"),
    "as_of": ("评估日期 {date}", "Scored as of {date}"),
    "capacity": (
        "您的辖区（{scope}）本轮可走访 {n} 户家庭：以下前 {n} 名即为本轮走访对象。",
        "Your area ({scope}) can visit {n} families this round: these are the first {n}.",
    ),
    "capacity_how": (
        "本批次共安排走访 {batch} 名学生（模型设定的走访能力，按风险从高到低），"
        "其中 {n} 名在您的辖区，标为“高”风险。",
        "This scoring batch plans {batch} visits in all (the model's visit capacity, highest "
        "risk first); {n} of them are in your area and are marked “high”.",
    ),
    "capacity_none": ("本批次尚无评估结果。", "There are no scores yet."),
    "filters": ("筛选", "Filters"),
    "school": ("学校", "School"),
    "township": ("乡镇", "Township"),
    "tier": ("风险等级", "Risk tier"),
    "any": ("全部", "All"),
    "apply": ("筛选", "Apply"),
    "clear": ("清除筛选", "Clear filters"),
    "search_label": ("按学号查找", "Find by student id"),
    "search_button": ("查找", "Find"),
    "col_rank": ("序号", "No."),
    "col_student": ("学生", "Student"),
    "col_risk": ("风险", "Risk"),
    "col_tier": ("等级", "Tier"),
    "col_school": ("学校", "School"),
    "col_grade": ("年级", "Grade"),
    "col_reasons": ("主要原因", "Top reasons"),
    "col_last_visit": ("最近走访", "Last visit"),
    "never_visited": ("尚未走访", "Not yet"),
    "tier_high": ("高", "High"),
    "tier_medium": ("中", "Medium"),
    "tier_low": ("低", "Low"),
    "tier_past_age": ("超龄", "Over age"),
    "visit_list_link": ("打印走访名单", "Print a visit list"),
    "visit_list_heading": ("入户走访名单", "Home visit list"),
    "visit_list_sub": (
        "评估日期 {date} · 共 {n} 名，按风险从高到低排列",
        "Scored as of {date} · {n} students, highest risk first",
    ),
    "village": ("村（社区）", "Village"),
    "print": ("打印", "Print"),
    "col_contact": ("监护人及住址", "Guardian and address"),
    "col_notes": ("走访情况（手填）", "Visit notes (by hand)"),
    "contact_heading": ("联系谁、去哪里", "Whom to see and where"),
    "guardian": ("监护人", "Guardian"),
    "guardian_parents": ("父母", "Parents"),
    "guardian_father": ("父亲", "Father"),
    "guardian_mother": ("母亲", "Mother"),
    "guardian_grandparents": ("祖父母", "Grandparents"),
    "guardian_relatives": ("其他亲属", "Other relatives"),
    "guardian_other": ("其他人", "Someone else"),
    "guardian_none": ("无人监护", "Nobody"),
    "parents_away": ("外出务工", "Working away"),
    "father_away": ("父亲外出务工", "father works away"),
    "mother_away": ("母亲外出务工", "mother works away"),
    "both_away": ("父母均外出务工", "both parents work away"),
    "address": ("住址", "Address"),
    "phone": ("监护人电话", "Guardian's phone"),
    "unknown": ("不详", "not known"),
    "past_age_note": (
        "另有 {n} 名在校学生已超过义务教育年龄（入学年度8月31日已满16周岁），不参与排序。",
        "{n} more students in school are past compulsory-school age (16 by 31 August before "
        "the school year) and are not ranked.",
    ),
    "past_age_link": ("查看这些学生", "See them"),
    "past_age_heading": (
        "已超过义务教育年龄的在校学生（不参与排序）",
        "Students past compulsory-school age (not ranked)",
    ),
    "past_age_card": (
        "已超过义务教育年龄，不参与排序",
        "Past compulsory-school age: not ranked",
    ),
    "capacity_line": ("以上为本轮走访名额", "This round's visits end here"),
    "more": ("显示更多", "Show more"),
    "showing": ("显示 {shown} 名，共 {total} 名", "Showing {shown} of {total}"),
    "empty": ("没有符合条件的学生。", "No students match."),
    "loading": ("加载中…", "Loading…"),
    "error": ("出错了，请稍后再试。", "Something went wrong. Please try again later."),
    "back": ("← 返回名单", "← Back to the list"),
    "not_found_heading": ("未找到该学生", "Student not found"),
    "not_found_text": (
        "您的名单中没有学号为 {id} 的学生。",
        "There is no student with id {id} on your list.",
    ),
    "no_name": ("（无姓名）", "(no name)"),
    "grade_n": ("{g}年级", "grade {g}"),
    "student_id": ("学号 {id}", "Student id {id}"),
    "risk_heading": ("辍学风险", "Risk of leaving school"),
    "risk_note": (
        "在得分与此相近的学生中，每100人约有{k}人在{months}个月内离开了学校。",
        "Of 100 students with a score like this, about {k} left school within {months} months.",
    ),
    "risk_note_small": ("不到1", "fewer than 1"),
    "risk_note_large": ("超过99", "more than 99"),
    "verdict_note": (
        "这个数字是与家庭谈话的起点，而不是结论：它只反映记录中的情况，并不了解孩子和家庭的全部。",
        "This number is a starting point for a conversation, not a verdict: it only knows what "
        "the records show, not the child or the family.",
    ),
    "ranks": (
        "校内第 {school} 名，全县第 {county} 名",
        "Rank {school} in school, {county} in county",
    ),
    "model_version": ("模型版本 {v}", "model version {v}"),
    "trend_heading": ("风险变化", "Risk over time"),
    "trend_text": ("从 {from}（{d1}）到 {to}（{d2}）", "From {from} ({d1}) to {to} ({d2})"),
    "trend_one": (
        "目前只有一次评估：{risk}（{date}）。",
        "Only one scoring so far: {risk} ({date}).",
    ),
    "factors_heading": ("需要关注的情况", "What a visit can act on"),
    "raises": ("提高风险", "raises the risk"),
    "no_reasons": (
        "记录中没有可通过走访改善的突出问题。",
        "The records show nothing a visit could act on.",
    ),
    "context_line": ("基本情况（不作为风险原因）：{facts}", "Background (not a reason): {facts}"),
    "lowers": ("降低风险", "lowers the risk"),
    "visits_heading": ("走访记录", "Visits"),
    "no_visits": ("暂无走访记录。", "No visits recorded yet."),
    "record_heading": ("记录一次走访", "Record a visit"),
    "visit_date": ("走访日期", "Date"),
    "visitor": ("走访人", "Who went"),
    "outcome": ("结果", "Outcome"),
    "notes": ("备注", "Notes"),
    "save": ("保存走访记录", "Save visit"),
    "saved": ("走访记录已保存。", "Visit saved."),
    "save_failed": ("保存失败：{why}", "Could not save: {why}"),
    "choose": ("请选择", "Choose"),
    "outcome_stays_in_school": ("继续在校", "Stays in school"),
    "outcome_returned_to_class": ("已返回原班级", "Returned to class"),
    "outcome_new_class": ("转入新班级", "New class"),
    "outcome_vocational_school": ("进入职业学校", "Vocational school"),
    "outcome_left": ("已离校", "Left school"),
    "outcome_agreed_to_return": ("同意返校", "Agreed to return"),
    "outcome_not_home": ("家中无人", "Nobody at home"),
    "outcome_parent_refused": ("家长拒绝", "Parents refused"),
    "outcome_child_working_away": ("学生外出务工", "The child works away"),
    "outcome_moved_away": ("随家人外迁", "Moved away with the family"),
}


def table(lang: Lang) -> dict[str, str]:
    """All texts in one language."""
    index = LANGS.index(lang)
    return {key: pair[index] for key, pair in TEXTS.items()}


def pick(lang: str | None) -> Lang:
    """A supported language, or the default."""
    return lang if lang in LANGS else DEFAULT_LANG  # type: ignore[return-value]
