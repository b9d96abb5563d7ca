"""How a household register writes a name differently from a school register.

A clerk picks a homophone (伟/玮), a similar character, or the traditional form (張偉);
the person is the same. These tables cover the characters `names.py` draws from.
"""

from __future__ import annotations

import numpy as np

# Characters read alike (same syllable, often the same tone), as clerks confuse them.
_HOMOPHONE_GROUPS = [
    "伟玮炜苇", "丽莉俐利", "静婧靖", "敏珉闽", "红虹鸿宏", "玉钰裕", "艳燕雁", "军君钧",
    "强蔷", "磊蕾垒", "涛韬滔", "明鸣铭", "辉晖徽", "刚钢纲", "健建剑", "鹏朋", "斌彬宾",
    "杰洁婕", "峰锋丰", "文雯", "轩萱宣", "浩昊皓", "俊骏峻", "然冉", "睿瑞锐", "泽则",
    "志智芝", "航杭", "晨辰宸", "阳杨洋", "凯恺锴", "东冬", "林琳霖", "芳方", "娜纳",
    "娟鹃", "霞夏", "秀琇", "英莹瑛", "婷庭亭", "雪薛", "萍平苹", "梅玫", "兰岚蓝",
    "欣鑫馨心", "怡宜仪", "佳嘉家", "悦月越", "思丝斯", "涵晗含", "梓紫子", "诗师施",
    "语雨宇羽", "可珂", "小晓筱", "一依伊", "天甜", "金锦", "春纯", "豪毫", "博柏",
    "超潮", "勇永", "慧惠", "颖影", "晨尘", "雨羽", "章张", "刘柳", "汪王",
]  # fmt: skip
# Characters that look alike and are misread from handwriting.
_SIMILAR = {
    "玉": "王", "王": "玉", "未": "末", "己": "已", "候": "侯", "侯": "候", "戌": "戍",
    "茜": "蓓", "琳": "淋", "婷": "停", "悦": "锐", "浩": "皓", "睿": "叡", "博": "搏",
    "晨": "辰", "泽": "择", "梓": "样", "涵": "函", "怡": "恰", "佳": "桂",
}  # fmt: skip
# Traditional forms (the register of a family from Hong Kong, Taiwan or an old record).
_TRADITIONAL = dict(
    zip(
        "张伟陈刘杨黄赵吴红丽军涛辉刚鹏杰东兰悦诗语晓阳凯颖艳静马孙郑谢韩冯邓罗叶苏卢贾龙钟汤宁",
        "張偉陳劉楊黃趙吳紅麗軍濤輝剛鵬傑東蘭悅詩語曉陽凱穎艷靜馬孫鄭謝韓馮鄧羅葉蘇盧賈龍鍾湯寧",
        strict=True,
    )
)
HOMOPHONES: dict[str, list[str]] = {
    ch: [other for other in group if other != ch] for group in _HOMOPHONE_GROUPS for ch in group
}
KINDS = ("homophone", "similar", "traditional")


def variant(rng: np.random.Generator, name: str, kind: str) -> str:
    """`name` with one character written another way; the name itself when none applies."""
    table: dict[str, list[str]] = (
        HOMOPHONES
        if kind == "homophone"
        else {k: [v] for k, v in (_SIMILAR if kind == "similar" else _TRADITIONAL).items()}
    )
    # Given-name characters first: registers rarely disagree on a surname.
    positions = [i for i in range(1, len(name)) if name[i] in table]
    if not positions and name[:1] in table:
        positions = [0]
    if not positions:
        return name
    at = positions[int(rng.integers(0, len(positions)))] if kind != "traditional" else None
    if at is None:  # a traditional record writes every character it can in the old form
        return "".join(table[ch][0] if ch in table else ch for ch in name)
    options = table[name[at]]
    return name[:at] + options[int(rng.integers(0, len(options)))] + name[at + 1 :]
